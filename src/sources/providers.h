/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The built-in provider descriptors, one per file in src/sources/, for the
 * registry table only. Everyone else finds them through provider_find().
 */
#ifndef CDNALLOW_PROVIDERS_H
#define CDNALLOW_PROVIDERS_H

#include "source.h"

extern const struct provider provider_cloudflare;
extern const struct provider provider_fastly;
extern const struct provider provider_cloudfront;
extern const struct provider provider_google;
extern const struct provider provider_google_all;
extern const struct provider provider_gcore;
extern const struct provider provider_akamai;
extern const struct provider provider_azure_frontdoor;
extern const struct provider provider_bunny;
extern const struct provider provider_imperva;
extern const struct provider provider_cdn77;
extern const struct provider provider_quiccloud;
extern const struct provider provider_cloudflare_china;
extern const struct provider provider_arvancloud;

#endif
