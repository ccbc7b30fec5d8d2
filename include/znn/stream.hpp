// Byte sources and sinks the pipeline reads from and writes to. The library never
// opens files by name on its own; callers hand it one of these.
//
// Threads. compress() and decompress() run a reader on the calling thread, workers and a
// writer on threads of their own (see znn.hpp), and call a stream from these threads:
//   InputStream   read(), borrow(), remaining(), skip(): the reader only, one call at a time.
//                 read_at(): workers, concurrently with each other and with the reader's
//                 calls, so it must not use or move a shared file position.
//                 Bytes lent by borrow() are read by workers until compress() or
//                 decompress() returns.
//   OutputStream  write(), commit(), rewrite(): one call at a time and in output order, from
//                 the writer thread or, before the first chunk and after the last, the
//                 calling thread.
//                 reserve(): the reader, concurrently with write() and commit(); workers fill
//                 the reserved bytes (each chunk its own range) before that chunk's commit().
// A stream is used by one compress() or decompress() call at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace znn {

class InputStream {
  public:
    virtual ~InputStream() = default;
    // Reads up to out.size() bytes; returns how many, 0 only at end of input. Throws IoError.
    // Reader thread.
    virtual std::size_t read(std::span<std::uint8_t> out) = 0;
    // Inputs already in memory can hand out their bytes without a copy: returns (and
    // consumes) up to `size` bytes that stay valid as long as the input's buffer does,
    // or nothing when the input cannot (then use read()).
    virtual std::optional<std::span<const std::uint8_t>> borrow(std::size_t) {
        return std::nullopt;
    }
    // Inputs of known size that can be read at any offset (a regular file) let each
    // worker fetch its own chunk, so reading is no longer one thread's serial job.
    // remaining() is the count of bytes from the current position to the end, if known;
    // skip() moves past bytes a worker will fetch with read_at(), which is counted from
    // the current position when the input was created and reads exactly out.size() bytes.
    // remaining() and skip() run on the reader thread; read_at() on workers, concurrently.
    virtual std::optional<std::uint64_t> remaining() const { return std::nullopt; }
    virtual void skip(std::uint64_t) {}
    virtual void read_at(std::uint64_t, std::span<std::uint8_t>) {}
};

class OutputStream {
  public:
    virtual ~OutputStream() = default;
    // Writes all of data or throws IoError. Writer thread (see above).
    virtual void write(std::span<const std::uint8_t> data) = 0;
    // Outputs in memory can take decoded chunks without a copy: reserve(size) returns
    // where the next `size` not yet reserved bytes of output go, or nullptr (then use
    // write()). Reservations are made in output order; commit(size) then counts the
    // oldest reservation's bytes as written. Only outputs that never mix the two override.
    // reserve() runs on the reader thread while commit() and write() run on the writer:
    // they must not share unguarded state (SpanOutput keeps a count for each).
    virtual std::uint8_t* reserve(std::size_t) noexcept { return nullptr; }
    virtual void commit(std::size_t) {}
    // Outputs that can go back (a regular file, memory) let compress() fill in a frame's
    // dependency checksums after its chunks, so that the base is read once. rewrite()
    // overwrites data.size() bytes written earlier, starting `back` bytes before the end
    // of what was written. Throws IoError.
    virtual bool can_rewrite() const noexcept { return false; }
    virtual void rewrite(std::uint64_t /*back*/, std::span<const std::uint8_t> /*data*/) {}
};

// Reads a file descriptor (a file, a pipe, stdin). Does not own the descriptor. With
// `positional`, a regular file is also offered for read_at() (see InputStream).
class FdInput final : public InputStream {
  public:
    FdInput(int fd, std::string name, bool positional = false);
    std::size_t read(std::span<std::uint8_t> out) override;
    std::optional<std::uint64_t> remaining() const override;
    void skip(std::uint64_t size) override;
    void read_at(std::uint64_t offset, std::span<std::uint8_t> out) override;

  private:
    int fd_;
    std::string name_;
    bool positional_ = false;
    std::uint64_t start_ = 0;     // file offset when created
    std::uint64_t position_ = 0;  // bytes read or skipped since
    std::uint64_t size_ = 0;      // bytes from start_ to the end of the file
};

// Writes a file descriptor. Does not own the descriptor. A regular file not opened for
// appending can rewrite.
class FdOutput final : public OutputStream {
  public:
    FdOutput(int fd, std::string name);
    void write(std::span<const std::uint8_t> data) override;
    bool can_rewrite() const noexcept override { return seekable_; }
    void rewrite(std::uint64_t back, std::span<const std::uint8_t> data) override;

  private:
    int fd_;
    std::string name_;
    bool seekable_ = false;
};

// Reads a buffer the caller keeps alive.
class SpanInput final : public InputStream {
  public:
    explicit SpanInput(std::span<const std::uint8_t> data) : data_(data) {}
    std::size_t read(std::span<std::uint8_t> out) override;
    std::optional<std::span<const std::uint8_t>> borrow(std::size_t size) override;

  private:
    std::span<const std::uint8_t> data_;
};

// Appends to a vector.
class VectorOutput final : public OutputStream {
  public:
    void write(std::span<const std::uint8_t> data) override {
        bytes.insert(bytes.end(), data.begin(), data.end());
    }
    bool can_rewrite() const noexcept override { return true; }
    void rewrite(std::uint64_t back, std::span<const std::uint8_t> data) override;
    std::vector<std::uint8_t> bytes;
};

// Writes into a buffer the caller keeps alive; throws IoError when it is full.
class SpanOutput final : public OutputStream {
  public:
    explicit SpanOutput(std::span<std::uint8_t> buffer) : buffer_(buffer) {}
    void write(std::span<const std::uint8_t> data) override;
    std::uint8_t* reserve(std::size_t size) noexcept override;
    void commit(std::size_t size) override;
    std::size_t size() const noexcept { return used_; }

  private:
    std::span<std::uint8_t> buffer_;
    std::size_t used_ = 0;      // written or committed (the writer's count)
    std::size_t reserved_ = 0;  // handed out by reserve() (the reader's count)
};

// Swallows everything (for `znn test`).
class NullOutput final : public OutputStream {
  public:
    void write(std::span<const std::uint8_t>) override {}
};

// Reads until out is full or the input ends; returns the count. Throws IoError.
std::size_t read_fully(InputStream& in, std::span<std::uint8_t> out);

// Reads exactly out.size() bytes of the file descriptor at offset (pread: safe from several
// threads at once). Throws IoError naming `name` if reading fails or the file ends first.
void read_fd_at(int fd, std::uint64_t offset, std::span<std::uint8_t> out, const std::string& name);

}  // namespace znn
