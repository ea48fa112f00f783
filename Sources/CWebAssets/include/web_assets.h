#ifndef INGOT_WEB_ASSETS_H
#define INGOT_WEB_ASSETS_H

/// One file of the admin web pages, compiled into the binary.
typedef struct {
    const char *path;            /* URL path relative to /ui, starting with "/" */
    const unsigned char *data;
    unsigned long length;
} ingot_web_asset;

/// Number of embedded files.
unsigned long ingot_web_asset_count(void);
/// The file at `index`, or NULL past the end.
const ingot_web_asset *ingot_web_asset_at(unsigned long index);

#endif
