#include "format/checksum.hpp"

#include <xxhash.h>

#include <array>
#include <new>

#include "common/bytes_io.hpp"
#include "simd/kernels.hpp"

namespace znn {

ContentChecksum::ContentChecksum() : state_(XXH3_createState()) {
    if (state_ == nullptr) throw std::bad_alloc();
    XXH3_64bits_reset(static_cast<XXH3_state_t*>(state_));
}

ContentChecksum::~ContentChecksum() {
    XXH3_freeState(static_cast<XXH3_state_t*>(state_));
}

void ContentChecksum::add(std::uint64_t raw_size, std::uint64_t chunk_checksum) noexcept {
    std::array<std::uint8_t, 16> record;
    store_le<std::uint64_t>(record.data(), raw_size);
    store_le<std::uint64_t>(record.data() + 8, chunk_checksum);
    XXH3_64bits_update(static_cast<XXH3_state_t*>(state_), record.data(), record.size());
}

std::uint64_t ContentChecksum::digest() const noexcept {
    return XXH3_64bits_digest(static_cast<const XXH3_state_t*>(state_));
}

StreamChecksum::StreamChecksum() : state_(XXH3_createState()) {
    if (state_ == nullptr) throw std::bad_alloc();
    XXH3_64bits_reset(static_cast<XXH3_state_t*>(state_));
}

StreamChecksum::~StreamChecksum() {
    XXH3_freeState(static_cast<XXH3_state_t*>(state_));
}

void StreamChecksum::update(std::span<const std::uint8_t> bytes) noexcept {
    simd::kernels().xxh3_update(state_, bytes.data(), bytes.size());
}

std::uint64_t StreamChecksum::digest() const noexcept {
    return XXH3_64bits_digest(static_cast<const XXH3_state_t*>(state_));
}

std::uint64_t checksum_bytes(std::span<const std::uint8_t> data) noexcept {
    return simd::kernels().xxh3(data.data(), data.size());
}

}  // namespace znn
