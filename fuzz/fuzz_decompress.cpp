// Feeds arbitrary bytes to the decoder: it may throw FormatError, never crash, hang or
// touch memory it does not own.
#include <cstddef>
#include <cstdint>

#include "znn/znn.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    znn::DecompressOptions options;
    options.threads = 1;
    try {
        znn::NullOutput sink;
        znn::SpanInput in({data, size});
        znn::decompress(in, sink, options);
    } catch (const znn::Error&) {
    }
    return 0;
}
