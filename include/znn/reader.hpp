// Random access to the content of a .znn file: read any byte range without decoding the rest.
//
//   znn::Reader reader("model.safetensors.znn");
//   std::vector<std::uint8_t> bytes(4096);
//   reader.read_at(1 << 20, bytes);   // decodes (and verifies) only the chunks it touches
//
// A Reader finds every chunk through the seek tables at the end of each frame, decodes the
// chunks a read touches, checks each against its XXH3 before any of its bytes are used, and
// keeps decoded chunks in a bounded LRU cache. When reads are sequential, the next chunks
// are decoded ahead on worker threads. Every member is safe to call from many threads at
// once; no lock is held while a chunk is read or decoded.
//
// A file compressed against a base model (`znn compress --base`) is read with that base:
//
//   znn::ReaderOptions options;
//   options.base = znn::BaseModel::open("base-model/");
//   znn::Reader reader("fine-tune.safetensors.znn", options);  // checks the base first
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "znn/inspect.hpp"

namespace znn {

class BaseModel;

inline constexpr std::size_t kDefaultCacheSize = std::size_t{64} << 20;

namespace detail {
class ChunkStore;
class DecodeWorkers;
struct ReaderState;
}  // namespace detail

// Decoded chunks (an LRU cache bounded in bytes) and the threads that decode ahead of
// sequential readers. Every Reader given the same cache shares both, so a program reading
// many files at once (a mount) bounds its memory and threads once for all of them. The
// worker threads start with the first read-ahead. Thread-safe.
class ChunkCache {
  public:
    // capacity: bytes of decoded chunks kept (chunks being read stay alive while in use
    // even past it). threads: read-ahead workers, 0 for one per core.
    explicit ChunkCache(std::size_t capacity = kDefaultCacheSize, unsigned threads = 0);
    ~ChunkCache();
    ChunkCache(const ChunkCache&) = delete;
    ChunkCache& operator=(const ChunkCache&) = delete;

    std::size_t capacity() const noexcept;
    // Bytes of decoded (or being decoded) chunks held now.
    std::size_t size() const;

  private:
    friend class Reader;
    std::unique_ptr<detail::ChunkStore> store_;
    std::unique_ptr<detail::DecodeWorkers> workers_;
};

struct ReaderOptions {
    // Shared cache and workers; null: the Reader makes its own from the two fields below.
    std::shared_ptr<ChunkCache> cache;
    std::size_t cache_size = kDefaultCacheSize;
    unsigned threads = 0;  // 0: one per core
    // Decode the next chunks ahead on the workers when reads are sequential.
    bool read_ahead = true;
    // The base model a file compressed against one needs (see znn/base.hpp); ignored for
    // other files. The Reader and its read-ahead work keep it alive. It is checked when the
    // Reader opens, as `znn::decompress` checks it: the constructor throws BaseError when
    // it is missing (naming the base the file needs) or differs from the one the file was
    // compressed against (naming the first tensor that differs).
    std::shared_ptr<const BaseModel> base;
    // Opens a file that needs a base even without one: reads of chunks coded against the
    // base then throw BaseError, while the rest (a safetensors header, tensors coded without
    // the base) stays readable. For listing what such a file holds.
    bool allow_missing_base = false;
};

// Decoded bytes of part of one chunk. They stay valid while `keep` is held, whatever the
// cache does meanwhile.
struct ContentPiece {
    std::span<const std::uint8_t> bytes;
    std::shared_ptr<const void> keep;
};

class Reader {
  public:
    // Opens the .znn file at path (one or more concatenated frames). Reads only the
    // frames' footers, seek tables and dependency blocks (and, to check options.base, the
    // base tensors they name). Throws IoError, FormatError (not a .znn file, or its
    // structure is inconsistent), BaseError (see ReaderOptions::base).
    explicit Reader(const std::string& path, ReaderOptions options = {});
    // The same over any source of source_size bytes: read_at must fill its span exactly or
    // throw, and be safe to call from several threads at once. name is used in errors.
    Reader(std::uint64_t source_size, ReadAt read_at, std::string name, ReaderOptions options = {});
    ~Reader();
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;

    // Bytes of decoded content.
    std::uint64_t size() const noexcept;
    const std::string& name() const noexcept;

    // Copies content bytes from offset into out; returns how many, fewer than out.size()
    // only at the end of the content (0 at or past it). Throws FormatError if a chunk the
    // range touches is corrupt (every other range stays readable), IoError, BaseError (a
    // chunk coded against a base the Reader was opened without).
    std::size_t read_at(std::uint64_t offset, std::span<std::uint8_t> out);

    // The content bytes [offset, offset + length) as they lie in decoded chunks, without a
    // copy: in order, covering the range up to the end of the content. Every chunk the range
    // touches is held until the pieces are released, so ask for bounded lengths (a few MiB).
    // Throws as read_at does.
    std::vector<ContentPiece> read_pieces(std::uint64_t offset, std::size_t length);

    // The chunk map: chunks are numbered across frames in content order.
    std::size_t chunk_count() const noexcept;
    // The chunk holding content byte `offset` (which must be below size()).
    std::size_t chunk_at(std::uint64_t offset) const;
    // Where chunk `index` starts in the content.
    std::uint64_t chunk_offset(std::size_t index) const;

  private:
    void note_read(std::uint64_t offset, std::size_t length);
    void schedule(std::size_t first, std::size_t last);

    std::shared_ptr<ChunkCache> cache_;
    std::shared_ptr<detail::ReaderState> state_;
    bool read_ahead_;
};

}  // namespace znn
