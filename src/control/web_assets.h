/* web_assets.h — the web view's files (src/control/web/), built into the
 * daemon as a table by tools/web_embed.py at build time (meson.build), so the
 * page is served from memory: nothing on disk, nothing from elsewhere. */
#ifndef VSWITCH_WEB_ASSETS_H
#define VSWITCH_WEB_ASSETS_H

#include <stddef.h>

struct web_asset {
	const char *path; /* "/index.html" */
	const char *content_type;
	const unsigned char *data; /* NUL-terminated, len bytes before it */
	size_t len;
};

extern const struct web_asset web_assets[];
extern const size_t n_web_assets;

#endif
