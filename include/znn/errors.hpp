// The exceptions the znn library throws. One small hierarchy: the CLI catches
// znn::Error, prints "znn: <path>: <what>" once and maps the kind to an exit code.
#pragma once

#include <stdexcept>
#include <string>

namespace znn {

class Error : public std::runtime_error {
  public:
    explicit Error(const std::string& what, std::string path = {})
        : std::runtime_error(what), path_(std::move(path)) {}
    // The file the error is about; empty when the library worked on a buffer.
    const std::string& path() const noexcept { return path_; }
    void set_path(std::string path) { path_ = std::move(path); }

  private:
    std::string path_;
};

// The input is not a valid .znn stream: corrupt, truncated, or an unknown version.
class FormatError : public Error {
    using Error::Error;
};

// Reading or writing failed (errno is folded into the message).
class IoError : public Error {
    using Error::Error;
};

// A file coded against a base model was given none, or one whose tensors differ from
// those it was coded against (the message names the base or the first such tensor).
class BaseError : public Error {
    using Error::Error;
};

// The caller asked for something impossible (bad option value, conflicting options).
class UsageError : public Error {
    using Error::Error;
};

}  // namespace znn
