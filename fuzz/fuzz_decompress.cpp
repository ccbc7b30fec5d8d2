// Feeds arbitrary bytes to the decoder: it may throw FormatError, never crash, hang or
// touch memory it does not own. Each input is decoded twice: from memory (chunks borrowed
// in place) and through an input that cannot lend its bytes (the read-ahead path files
// and pipes take).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "znn/znn.hpp"

namespace {

class NonLendingInput final : public znn::InputStream {
  public:
    explicit NonLendingInput(std::span<const std::uint8_t> data) : data_(data) {}
    std::size_t read(std::span<std::uint8_t> out) override {
        const std::size_t n = std::min({out.size(), data_.size(), std::size_t{4093}});
        std::memcpy(out.data(), data_.data(), n);
        data_ = data_.subspan(n);
        return n;
    }

  private:
    std::span<const std::uint8_t> data_;
};

void decode(znn::InputStream& in) {
    znn::DecompressOptions options;
    options.threads = 1;
    try {
        znn::NullOutput sink;
        znn::decompress(in, sink, options);
    } catch (const znn::Error&) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    znn::SpanInput in({data, size});
    decode(in);
    NonLendingInput trickle({data, size});
    decode(trickle);
    return 0;
}
