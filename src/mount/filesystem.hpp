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
#include "znn/base.hpp"
#include "znn/reader.hpp"

namespace znn::mount {

struct Filesystem {
    // source: a folder or a file (its real path; name: its name as given); mountpoint: where
    // it is mounted (left out of the view when it lies inside the source).
    Filesystem(const std::string& source, const std::string& name, const std::string& mountpoint_,
               std::shared_ptr<ChunkCache> cache_)
        : view(source, name, mountpoint_), mountpoint(mountpoint_), cache(std::move(cache_)) {}

    // Tuning that must wait for the kernel to have our INIT reply: done by the first
    // request that can come before a file is opened.
    void tune_once();

    // The Reader of a decoded file, shared by every open of it (so they share its cached
    // chunks and its read-ahead); closed with the last one. Throws IoError, FormatError.
    std::shared_ptr<Reader> reader_for(const Node& node);

    View view;
    const std::string mountpoint;
    std::shared_ptr<ChunkCache> cache;
    // The base model delta files are decoded with, or null. Set before serving.
    std::shared_ptr<const BaseModel> base;
    ErrorLog log;

  private:
    std::once_flag tuned_;
    std::mutex readers_mutex_;
    std::unordered_map<std::uint64_t, std::weak_ptr<Reader>> readers_;
};

// The request handlers, for fuse_session_new with a Filesystem as userdata.
const fuse_lowlevel_ops& filesystem_operations();

}  // namespace znn::mount
