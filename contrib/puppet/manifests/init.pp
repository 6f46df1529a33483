# SPDX-License-Identifier: GPL-2.0-or-later
# @summary Keeps the firewall open to a CDN's published ranges with cdnallow(8).
#
# Installs the package, writes cdnallow.conf(5) from the parameters, schedules
# the online sync (systemd timer, or cron) and the boot restore from cache,
# and syncs during the Puppet run only when `cdnallow plan` finds drift, so an
# unchanged host runs no exec (docs/architecture.md §4b). cdnallow does all the firewall
# work; this class never edits a firewall itself.
#
# @example
#   class { 'cdnallow':
#     providers => ['cloudflare', 'fastly'],
#     mode      => 'lockdown',
#   }
#
# @param providers          built-in providers (`cdnallow providers`)
# @param backend            auto | nftables | iptables | ufw | firewalld
# @param ports              TCP ports opened to the CDN
# @param mode               allow | lockdown (also drop everyone else on the ports) | sets (only the sets)
# @param state_dir          cache, state.json, lock
# @param max_shrink         refuse a list that shrinks by more (percent)
# @param allow_test_ranges  accept documentation ranges (tests only)
# @param fetch_timeout      seconds per download
# @param fetch_retries      retries with backoff
# @param fetch_max_size     largest body accepted (k, M, G)
# @param ca_file            CA bundle (default: the system store)
# @param provider_overrides [provider:NAME] sections, e.g. { 'fastly' => { 'floor' => 10 } }
# @param sources            [source:NAME] sections: [{ 'name' => 'x', 'url' => 'https://…' }]
# @param nftables_table     allow mode inside this table of the admin ("inet filter")
# @param nftables_chain     … and this input chain
# @param ufw_ipset_threshold above this many prefixes ufw uses ipsets
# @param outputs            [output:NAME] sections, files kept from the synced list:
#   { 'nginx' => { 'format' => 'nginx', 'path' => '/etc/nginx/conf.d/cdnallow-realip.conf',
#   'test' => 'nginx -t', 'reload' => 'systemctl reload nginx' } }; a missing or
#   different output is drift, so the exec syncs it
# @param config_file        where cdnallow.conf is written
# @param manage_package     install the package
# @param package_name       its name
# @param package_ensure     installed, latest or a version
# @param command            the cdnallow executable (found through $path)
# @param path               search path of the exec
# @param scheduler          systemd (timer + boot service), cron, or none
# @param sync               sync during the Puppet run when `cdnallow plan` finds drift
class cdnallow (
  Array[String[1]] $providers = ['cloudflare'],
  Enum['auto', 'nftables', 'iptables', 'ufw', 'firewalld'] $backend = 'auto',
  Array[Integer[1, 65535], 1, 16] $ports = [80, 443],
  Enum['allow', 'lockdown', 'sets'] $mode = 'allow',
  String[1] $state_dir = '/var/lib/cdnallow',
  Integer[0, 100] $max_shrink = 30,
  Boolean $allow_test_ranges = false,
  Integer[1, 3600] $fetch_timeout = 30,
  Integer[0, 10] $fetch_retries = 3,
  String[1] $fetch_max_size = '16M',
  Optional[String[1]] $ca_file = undef,
  Hash[String[1], Hash[String[1], Any]] $provider_overrides = {},
  Array[Hash[String[1], Any]] $sources = [],
  Optional[String[1]] $nftables_table = undef,
  Optional[String[1]] $nftables_chain = undef,
  Integer[1] $ufw_ipset_threshold = 500,
  Hash[Pattern[/\A[A-Za-z0-9._-]{1,64}\z/], Hash[Enum['format', 'path', 'header', 'mode', 'test', 'reload'], String[1]]] $outputs = {},
  String[1] $config_file = '/etc/cdnallow/cdnallow.conf',
  Boolean $manage_package = true,
  String[1] $package_name = 'cdnallow',
  String[1] $package_ensure = 'installed',
  String[1] $command = 'cdnallow',
  Array[String[1]] $path = ['/usr/sbin', '/usr/bin', '/sbin', '/bin'],
  Enum['systemd', 'cron', 'none'] $scheduler = 'systemd',
  Boolean $sync = true,
) {
  if $manage_package {
    package { $package_name:
      ensure => $package_ensure,
      before => File[$config_file],
    }
  }

  file { regsubst($config_file, '/[^/]+$', ''):
    ensure => directory,
    mode   => '0755',
  }

  file { $config_file:
    ensure  => file,
    mode    => '0644',
    content => epp('cdnallow/cdnallow.conf.epp', {
      'providers'           => $providers,
      'backend'             => $backend,
      'ports'               => $ports,
      'mode'                => $mode,
      'state_dir'           => $state_dir,
      'max_shrink'          => $max_shrink,
      'allow_test_ranges'   => $allow_test_ranges,
      'fetch_timeout'       => $fetch_timeout,
      'fetch_retries'       => $fetch_retries,
      'fetch_max_size'      => $fetch_max_size,
      'ca_file'             => $ca_file,
      'provider_overrides'  => $provider_overrides,
      'sources'             => $sources,
      'nftables_table'      => $nftables_table,
      'nftables_chain'      => $nftables_chain,
      'ufw_ipset_threshold' => $ufw_ipset_threshold,
      'outputs'             => $outputs,
    }),
  }

  file { $state_dir:
    ensure => directory,
    mode   => '0700',
  }

  case $scheduler {
    'systemd': {
      service { 'cdnallow.timer':
        ensure  => running,
        enable  => true,
        require => File[$config_file],
      }
      # enabled only: it runs at boot and whenever a firewall service restarts
      service { 'cdnallow-boot.service':
        enable  => true,
        require => File[$config_file],
      }
    }
    'cron': {
      file { '/etc/cron.d/cdnallow':
        ensure => file,
        mode   => '0644',
        links  => follow,
        source => 'puppet:///modules/cdnallow/cdnallow.cron',
      }
    }
    default: {}
  }

  if $sync {
    # plan exits 0 in sync, 2 on drift, 1 on error: only drift or an error runs
    # the sync, and a failing sync fails the Puppet run with cdnallow's message.
    exec { 'cdnallow sync':
      command   => "${command} -q -c ${config_file} sync",
      unless    => "${command} -q -c ${config_file} plan",
      path      => $path,
      logoutput => on_failure,
      require   => [File[$config_file], File[$state_dir]],
    }
  }
}
