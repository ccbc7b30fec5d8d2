// The state a mounted file system shares between FUSE requests, and its request handlers.
#pragma once

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "mount/error_log.hpp"
#include "mount/view.hpp"
#include "znn/reader.hpp"

namespace znn::mount {

struct Filesystem {
    Filesystem(const std::string& source, std::string skip, std::shared_ptr<ChunkCache> cache_)
        : view(source, std::move(skip)), cache(std::move(cache_)) {}

    // The Reader of a decoded file, shared by every open of it (so they share its cached
    // chunks and its read-ahead); closed with the last one. Throws IoError, FormatError.
    std::shared_ptr<Reader> reader_for(const Node& node);

    View view;
    std::shared_ptr<ChunkCache> cache;
    ErrorLog log;

  private:
    std::mutex readers_mutex_;
    std::unordered_map<std::uint64_t, std::weak_ptr<Reader>> readers_;
};

// The request handlers, for fuse_session_new with a Filesystem as userdata.
const fuse_lowlevel_ops& filesystem_operations();

}  // namespace znn::mount
