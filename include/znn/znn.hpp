// The znn library: lossless compression of model weights into the .znn format (v1).
//
//   znn::compress(in, out, options);     // any bytes -> one .znn frame
//   znn::decompress(in, out, options);   // one or more concatenated frames -> bytes
//
// Both run a chunk pipeline (reader -> workers -> ordered writer). The reader runs on the
// calling thread; with threads > 1, workers (started as chunks wait for them) and the writer
// run on threads of their own. Chunks in flight hold at most 256 MiB, whatever the thread
// count. The compressed bytes depend only on the input and the options, never on
// `threads`. stream.hpp says which stream calls run on which thread.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "znn/errors.hpp"
#include "znn/layout.hpp"
#include "znn/stream.hpp"

namespace znn {

class BaseModel;

// chunk_size 0 (the default): the level chooses. At level 3, 256 KiB (kDefaultChunkSize) in
// the tensors of safetensors files; any other input tries 128, 256 and 512 KiB on its first
// 512 KiB and keeps the smallest estimated result, since data whose statistics drift (many
// small tensors) codes smaller in short chunks.
inline constexpr std::size_t kAutoChunkSize = 0;
inline constexpr std::size_t kDefaultChunkSize = std::size_t{256} << 10;
inline constexpr std::size_t kMinChunkSize = 64;
inline constexpr std::size_t kMaxChunkSize = std::size_t{64} << 20;

// Compression levels, as zstd's: 1 is the fastest (to compress and to decompress), 9 the
// smallest. Every level writes the same v1 format, read by the same decoder; the default
// is level 3. README.md ("Levels") says what each one does, measured.
inline constexpr int kMinLevel = 1;
inline constexpr int kMaxLevel = 9;
inline constexpr int kDefaultLevel = 3;

// Called from the writer with the input bytes consumed so far: original bytes for compress,
// compressed bytes for decompress, so the input's size is the total either way.
using ProgressFn = std::function<void(std::uint64_t bytes_done)>;

struct CompressOptions {
    unsigned threads = 0;  // 0: one per core
    std::size_t chunk_size =
        kAutoChunkSize;  // or a multiple of 8 in [kMinChunkSize, kMaxChunkSize]
    DtypeChoice dtype = DtypeChoice::automatic;  // automatic: safetensors header, else a probe
    ProgressFn progress;
    // With one thread, write the output from a second thread while the next chunks code,
    // as zstd's asynchronous I/O does: worth it when writes cost (files, pipes), not in memory.
    bool overlap_output = false;
    // kMinLevel (fastest) to kMaxLevel (smallest); compress() throws UsageError otherwise.
    int level = kDefaultLevel;
    // Code the tensors of a safetensors input that match a tensor of the base (same name,
    // dtype and shape; BF16, F16 or F32) as deltas against it, chunk by chunk where that is
    // smaller. The output then needs the same base to decompress. Not owned.
    const BaseModel* base = nullptr;
};

struct DecompressOptions {
    unsigned threads = 0;  // 0: one per core
    ProgressFn progress;
    // With one thread, write the output from a second thread while the next chunks decode,
    // as zstd's asynchronous I/O does: worth it when writes cost (files, pipes), not in memory.
    bool overlap_output = false;
    // The base the input was compressed against, if it was. Not owned. Without it, or with
    // another base, a frame that needs one fails (BaseError) before any of its chunks.
    const BaseModel* base = nullptr;
    // false: a frame's base tensors are checked as its chunks read them (names and sizes
    // first, each tensor's XXH3-64 by the frame's end), so the base is read once, not
    // twice. A wrong base then fails after some chunks were written: only for outputs
    // that are thrown away on error (a temporary file renamed at the end, a test).
    bool check_base_first = true;
};

struct Stats {
    std::uint64_t raw_bytes = 0;
    std::uint64_t compressed_bytes = 0;
    std::uint64_t chunks = 0;
    std::uint64_t frames = 0;
    std::uint64_t delta_chunks = 0;  // chunks coded against a base (compress only)
};

// Compresses everything `in` yields into one frame. Throws IoError, UsageError.
Stats compress(InputStream& in, OutputStream& out, const CompressOptions& options);

// Decompresses one or more concatenated frames, verifying every checksum before the
// bytes of a chunk are written. Throws FormatError on corrupt or truncated input, IoError.
Stats decompress(InputStream& in, OutputStream& out, const DecompressOptions& options);

// Buffer conveniences over the two calls above.
std::vector<std::uint8_t> compress_buffer(std::span<const std::uint8_t> data,
                                          const CompressOptions& options = {});
std::vector<std::uint8_t> decompress_buffer(std::span<const std::uint8_t> data,
                                            const DecompressOptions& options = {});

// The library version, "MAJOR.MINOR.PATCH".
const char* version() noexcept;

}  // namespace znn
