// znn mount: hands the command line to the FUSE file system in src/mount/.
#include "../mount/mount.hpp"  // the FUSE front end, a sibling of this one
#include "commands.hpp"

namespace znn::cli {

int run_mount(const Options& options) {
    mount::MountOptions m;
    m.source = options.mount_source;
    m.mountpoint = options.output;
    m.base = options.base;
    m.foreground = options.foreground;
    m.threads = options.threads;
    m.cache_size = options.cache_size;
    m.fuse_options = options.fuse_options;
    m.verbose = options.verbosity >= 2;
    return mount::serve_mount(m);
}

}  // namespace znn::cli
