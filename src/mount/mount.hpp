// znn mount: a read-only FUSE file system that shows a folder of .znn files (or one .znn
// file) as the original files, decoding chunks as they are read. This folder is the only
// code that knows libfuse; it uses the library through include/znn/ only, and is linked into
// the znn binary alone.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace znn::mount {

struct MountOptions {
    std::string source;      // a folder or a .znn file
    std::string mountpoint;  // an empty folder
    std::string base;        // the base model delta files were compressed against, if any
    bool foreground = false;
    unsigned threads = 0;  // read-ahead decoding threads; 0: one per core
    std::uint64_t cache_size = std::uint64_t{64} << 20;
    std::vector<std::string> fuse_options;  // handed to FUSE as -o
    bool verbose = false;
};

// Checks the request, mounts, and serves until the file system is unmounted (fusermount3 -u,
// umount) or the process gets SIGINT, SIGTERM or SIGHUP, then unmounts and returns 0.
// Without `foreground`, the calling process returns only once the mount is up and the
// serving goes on in a background process (the caller sees exit status 0 from this call in
// the parent; the child returns when unmounted). Throws UsageError or IoError, saying what
// to do, when the source, the mountpoint, /dev/fuse or the FUSE options are unusable;
// BaseError when a file in the source was compressed against a base model and `base` is
// not given, or is another one (see check_delta_files).
int serve_mount(const MountOptions& options);

}  // namespace znn::mount
