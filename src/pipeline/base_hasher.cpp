#include "pipeline/base_hasher.hpp"

#include <algorithm>

namespace znn {

namespace {

// Bytes read for the hash alone go through a buffer this large, small enough to stay in
// cache between the copy and the hash.
constexpr std::size_t kPiece = std::size_t{256} << 10;

}  // namespace

BaseHasher::BaseHasher(const BaseModel& base, std::vector<const BaseTensor*> tensors)
    : base_(base), tensors_(std::move(tensors)), sums_(tensors_.size()) {}

void BaseHasher::hash_until(std::uint64_t end) {
    const BaseTensor& tensor = *tensors_[*current_];
    while (done_ < end) {
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(kPiece, end - done_));
        piece_.resize(n);
        base_.read(tensor, done_, piece_);
        stream_->update(piece_);
        done_ += n;
    }
}

void BaseHasher::complete_current() {
    if (!current_) return;
    hash_until(tensors_[*current_]->size);
    sums_[*current_] = stream_->digest();
    current_.reset();
}

void BaseHasher::read(std::size_t index, std::uint64_t offset, std::span<std::uint8_t> out) {
    base_.read(*tensors_[index], offset, out);
    if (sums_[index]) return;  // hashed whole already
    if (current_ != index) {
        complete_current();
        current_ = index;
        stream_ = std::make_unique<StreamChecksum>();
        done_ = 0;
    }
    hash_until(offset);  // bytes before this chunk that no chunk read
    const std::uint64_t end = offset + out.size();
    if (end > done_) {  // a chunk reading bytes hashed already (a hostile file) adds nothing
        stream_->update(out.subspan(static_cast<std::size_t>(done_ - offset)));
        done_ = end;
    }
    if (done_ == tensors_[index]->size) complete_current();
}

std::vector<std::uint64_t> BaseHasher::finish() {
    complete_current();
    std::vector<std::uint64_t> sums(tensors_.size());
    for (std::size_t i = 0; i < tensors_.size(); ++i) {
        if (!sums_[i]) {
            current_ = i;
            stream_ = std::make_unique<StreamChecksum>();
            done_ = 0;
            complete_current();
        }
        sums[i] = *sums_[i];
    }
    return sums;
}

}  // namespace znn
