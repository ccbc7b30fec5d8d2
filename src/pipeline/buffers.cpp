// The in-memory conveniences of the library API, over compress() and decompress().
#include "znn/znn.hpp"

namespace znn {

std::vector<std::uint8_t> compress_buffer(std::span<const std::uint8_t> data,
                                          const CompressOptions& options) {
    SpanInput in(data);
    VectorOutput out;
    out.bytes.reserve(data.size() + data.size() / 64 + 4096);  // a stored chunk fits: no regrowth
    compress(in, out, options);
    return std::move(out.bytes);
}

std::vector<std::uint8_t> decompress_buffer(std::span<const std::uint8_t> data,
                                            const DecompressOptions& options) {
    SpanInput in(data);
    VectorOutput out;
    out.bytes.reserve(data.size() * 2);
    decompress(in, out, options);
    return std::move(out.bytes);
}

const char* version() noexcept {
    return ZNN_VERSION;
}

}  // namespace znn
