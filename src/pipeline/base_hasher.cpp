#include "pipeline/base_hasher.hpp"

#include <algorithm>

namespace znn {

namespace {

// Bytes read for the hash alone go through a buffer this large, small enough to stay in
// cache between the copy and the hash.
constexpr std::size_t kPiece = std::size_t{256} << 10;

}  // namespace

BaseHasher::BaseHasher(const BaseModel& base, std::vector<const BaseTensor*> tensors)
    : base_(base), tensors_(std::move(tensors)) {}

void BaseHasher::hash_until(std::uint64_t end) {
    while (done_ < end) {
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(kPiece, end - done_));
        piece_.resize(n);
        base_.read(*current_, done_, piece_);
        stream_->update(piece_);
        done_ += n;
    }
}

void BaseHasher::complete_current() {
    if (current_ == nullptr) return;
    hash_until(current_->size);
    sums_[current_] = stream_->digest();
    current_ = nullptr;
}

void BaseHasher::read(std::size_t index, std::uint64_t offset, std::span<std::uint8_t> out) {
    const BaseTensor* tensor = tensors_.at(index);
    base_.read(*tensor, offset, out);
    if (sums_.count(tensor) != 0) return;  // hashed whole already
    if (current_ != tensor) {
        complete_current();
        current_ = tensor;
        stream_ = std::make_unique<StreamChecksum>();
        done_ = 0;
    }
    hash_until(offset);  // bytes before this chunk that no chunk read
    const std::uint64_t end = offset + out.size();
    if (end > done_) {  // a chunk reading bytes hashed already (a hostile file) adds nothing
        stream_->update(out.subspan(static_cast<std::size_t>(done_ - offset)));
        done_ = end;
    }
    if (done_ == tensor->size) complete_current();
}

std::vector<std::uint64_t> BaseHasher::finish() {
    complete_current();
    std::vector<std::uint64_t> sums;
    sums.reserve(tensors_.size());
    for (const BaseTensor* tensor : tensors_) {
        auto it = sums_.find(tensor);
        if (it == sums_.end()) it = sums_.emplace(tensor, base_.checksum(*tensor)).first;
        sums.push_back(it->second);
    }
    return sums;
}

}  // namespace znn
