#include "pipeline/chunk_reader.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "format/frame.hpp"
#include "znn/safetensors.hpp"

namespace znn {

namespace {

// The chunk size of the policy's trial sizes that codes `sample` smallest: data whose
// statistics drift (many small tensors) wants short chunks, steady data long ones. The
// first size wins ties. Depends only on the sample's bytes.
std::size_t trial_chunk_size(std::span<const std::uint8_t> sample, const ChunkSpec& spec) {
    const auto sizes = spec.policy->trial_chunk_sizes;
    std::size_t best_size = sizes.front();
    std::uint64_t best_bytes = UINT64_MAX;
    for (const std::size_t size : sizes) {
        std::uint64_t bytes = 0;
        for (std::size_t at = 0; at < sample.size(); at += size)
            bytes +=
                estimate_chunk_size(sample.subspan(at, std::min(size, sample.size() - at)), spec) +
                kSeekEntrySize;
        if (bytes < best_bytes) {
            best_bytes = bytes;
            best_size = size;
        }
    }
    return best_size;
}

ChunkSpec spec_for_choice(DtypeChoice choice, const CodecPolicy& policy) {
    ChunkSpec spec;
    spec.policy = &policy;
    switch (choice) {
        case DtypeChoice::automatic:
            spec.probe = true;
            break;
        case DtypeChoice::bytes:
            spec.layout = Layout::bytes;
            break;
        case DtypeChoice::fp8:
            spec.layout = Layout::fp8;
            break;
        case DtypeChoice::bf16:
            spec.layout = Layout::bf16;
            break;
        case DtypeChoice::fp16:
            spec.layout = Layout::fp16;
            break;
        case DtypeChoice::fp32:
            spec.layout = Layout::fp32;
            break;
    }
    return spec;
}

}  // namespace

ChunkReader::ChunkReader(InputStream& in, const CompressOptions& options, bool hash_base_later)
    : in_(in),
      chunk_size_(options.chunk_size),
      dtype_(options.dtype),
      policy_(codec_policy(options.level)),
      base_(options.base),
      hash_base_later_(hash_base_later),
      rest_spec_(spec_for_choice(options.dtype, policy_)) {
    if (chunk_size_ != kAutoChunkSize &&
        (chunk_size_ < kMinChunkSize || chunk_size_ > kMaxChunkSize || chunk_size_ % 8 != 0))
        throw UsageError("chunk size must be a multiple of 8 between 64 B and 64 MiB");
}

std::size_t ChunkReader::read(std::uint8_t* out, std::size_t size) {
    std::size_t done = 0;
    if (sniffed_pos_ < sniffed_.size()) {
        done = std::min(size, sniffed_.size() - sniffed_pos_);
        std::memcpy(out, sniffed_.data() + sniffed_pos_, done);
        sniffed_pos_ += done;
    }
    if (done < size) done += read_fully(in_, {out + done, size - done});
    return done;
}

// A match needs the same name, dtype and shape, and a float dtype the delta coder knows.
void ChunkReader::match_base(std::span<const std::uint8_t> json,
                             std::map<std::uint64_t, std::uint32_t>& delta_at) {
    SafetensorsHeader header;
    try {
        header = parse_safetensors_header({reinterpret_cast<const char*>(json.data()), json.size()},
                                          UINT64_MAX / 2);
    } catch (const FormatError&) {
        return;  // plan_safetensors decides what a malformed header means
    }
    std::sort(header.tensors.begin(), header.tensors.end(),
              [](const TensorInfo& a, const TensorInfo& b) { return a.begin < b.begin; });
    dependency_.hint = base_->hint();
    for (const TensorInfo& t : header.tensors) {
        const BaseTensor* b = base_->find(t.name);
        const bool float_dtype = t.dtype == "BF16" || t.dtype == "F16" || t.dtype == "F32";
        if (b == nullptr || !float_dtype || b->dtype != t.dtype || b->shape != t.shape ||
            t.size() == 0)
            continue;
        delta_at.emplace(t.begin, static_cast<std::uint32_t>(base_tensors_.size()));
        base_tensors_.push_back(b);
        dependency_.tensors.push_back(
            {b->name, b->size, hash_base_later_ ? 0 : base_->checksum(*b)});
    }
}

// Only an automatic dtype looks for a safetensors header; --dtype applies to everything.
void ChunkReader::plan() {
    if (planned_) return;
    planned_ = true;
    if (dtype_ == DtypeChoice::automatic) {
        sniffed_.resize(8);
        sniffed_.resize(read_fully(in_, sniffed_));
        if (sniffed_.size() == 8) {
            const auto json_size =
                safetensors_json_size(std::span<const std::uint8_t, 8>(sniffed_.data(), 8));
            if (json_size) {
                sniffed_.resize(8 + *json_size);
                const std::size_t got = read_fully(in_, {sniffed_.data() + 8, *json_size});
                sniffed_.resize(8 + got);
                if (got == *json_size) {
                    const std::span<const std::uint8_t> json{sniffed_.data() + 8, *json_size};
                    std::map<std::uint64_t, std::uint32_t> delta_at;
                    if (base_ != nullptr) match_base(json, delta_at);
                    if (auto regions = plan_safetensors(json, &delta_at)) {
                        regions_.assign(regions->begin(), regions->end());
                        if (chunk_size_ == kAutoChunkSize) chunk_size_ = policy_.tensor_chunk_size;
                        if (hash_base_later_ && !base_tensors_.empty())
                            hasher_ = std::make_unique<BaseHasher>(*base_, base_tensors_);
                        return;
                    }
                    dependency_.tensors.clear();
                    base_tensors_.clear();
                }
            }
        }
    }
    if (chunk_size_ != kAutoChunkSize) return;
    if (policy_.trial_chunk_sizes.size() == 1) {
        chunk_size_ = policy_.trial_chunk_sizes.front();
        return;
    }
    // Not safetensors: choose the chunk size on the first trial_bytes, kept to be served.
    const std::size_t trial_bytes = policy_.trial_bytes;
    const std::size_t have = sniffed_.size();
    if (have < trial_bytes) {
        sniffed_.resize(trial_bytes);
        sniffed_.resize(have + read_fully(in_, {sniffed_.data() + have, trial_bytes - have}));
    }
    chunk_size_ = trial_chunk_size(sniffed_, rest_spec_);
}

bool ChunkReader::next(ChunkTask& task) {
    if (!planned_) plan();
    task.fetch_size = 0;
    while (!regions_.empty() && regions_.front().size == 0) regions_.pop_front();
    const bool in_region = !regions_.empty();
    const ChunkSpec spec =
        in_region ? ChunkSpec{regions_.front().layout,     0,        false,
                              regions_.front().metadata,   &policy_, regions_.front().base_tensor,
                              regions_.front().base_offset}
                  : rest_spec_;
    std::size_t want = chunk_size_;
    if (in_region)
        want = static_cast<std::size_t>(std::min<std::uint64_t>(want, regions_.front().size));
    std::size_t got = 0;
    const bool sniffed_done = sniffed_pos_ == sniffed_.size();
    const auto borrowed = sniffed_done ? in_.borrow(want) : std::nullopt;
    const auto left = sniffed_done && !borrowed ? in_.remaining() : std::nullopt;
    if (left) {  // a regular file: the worker reads it (fetch)
        got = static_cast<std::size_t>(std::min<std::uint64_t>(want, *left));
        task.fetch_offset = position_;
        task.fetch_size = got;
        task.raw = {};
        in_.skip(got);
    } else if (borrowed) {
        task.raw = *borrowed;
        got = borrowed->size();
    } else {
        resize_discarding(task.storage, want);
        got = read(task.storage.data(), want);
        task.raw = {task.storage.data(), got};
    }
    position_ += got;
    task.spec = spec;
    if (spec.base_tensor >= 0 && got > 0) {
        const auto index = static_cast<std::size_t>(spec.base_tensor);
        resize_discarding(task.base, got);
        if (hasher_)
            hasher_->read(index, spec.base_offset, task.base);
        else
            base_->read(*base_tensors_[index], spec.base_offset, task.base);
    }
    if (in_region) {
        regions_.front().size -= got;
        regions_.front().base_offset += got;
        // The file ended inside a tensor: the rest is coded as probed bytes, if anything.
        if (got < want) regions_.clear();
    }
    return got > 0;
}

const Dependency& ChunkReader::finish_dependency() {
    if (hasher_) {
        const std::vector<std::uint64_t> sums = hasher_->finish();
        for (std::size_t i = 0; i < sums.size(); ++i) dependency_.tensors[i].checksum = sums[i];
        hasher_.reset();
    }
    return dependency_;
}

void ChunkReader::fetch(ChunkTask& task) {
    if (task.fetch_size == 0) return;
    resize_discarding(task.storage, task.fetch_size);
    in_.read_at(task.fetch_offset, task.storage);
    task.raw = {task.storage.data(), task.fetch_size};
    task.fetch_size = 0;
}

}  // namespace znn
