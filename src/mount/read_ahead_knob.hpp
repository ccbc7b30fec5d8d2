// The kernel's read-ahead for a FUSE mount (see read_ahead_knob.cpp).
#pragma once

#include <string>

namespace znn::mount {

// Raises the read-ahead of the FUSE file system mounted at `mountpoint` to 1 MiB where the
// process may (root). Call it once the kernel has the INIT reply, which would lower it
// again, and before files are opened, as each open file takes the value of the moment.
void raise_read_ahead(const std::string& mountpoint) noexcept;

}  // namespace znn::mount
