#include <zstd.h>
#include <zlib.h>
#include <lz4.h>
#include <snappy-c.h>
