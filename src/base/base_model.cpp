// BaseModel: the tensors of one or more shards, each shard a plain file (pread) or a .znn
// file (znn::Reader), indexed by name.
#include "znn/base.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>

#include "common/buffer.hpp"
#include "format/checksum.hpp"
#include "format/frame.hpp"
#include "znn/errors.hpp"
#include "znn/reader.hpp"
#include "znn/safetensors.hpp"
#include "znn/stream.hpp"

namespace znn {

namespace {

namespace fs = std::filesystem;

// One shard: its content read at any offset, and where its tensor data starts.
struct Shard {
    std::string path;
    int fd = -1;
    std::unique_ptr<Reader> reader;  // set for a .znn shard
    std::uint64_t data_start = 0;

    ~Shard() {
        if (fd >= 0) ::close(fd);
    }
    void read_at(std::uint64_t offset, std::span<std::uint8_t> out) const {
        if (reader) {
            if (reader->read_at(offset, out) != out.size())
                throw FormatError("base file ends inside a tensor", path);
        } else {
            read_fd_at(fd, offset, out, path);
        }
    }
};

bool starts_with_znn_magic(int fd, const std::string& path) {
    std::array<std::uint8_t, 4> magic{};
    const ssize_t got = ::pread(fd, magic.data(), magic.size(), 0);
    if (got < 0) throw IoError("cannot read base: " + std::string(std::strerror(errno)), path);
    return got == 4 && std::equal(magic.begin(), magic.end(), kFrameMagic.begin());
}

// Shards of a folder: its *.safetensors and *.safetensors.znn files, the plain one of a pair.
std::vector<std::string> list_shards(const fs::path& dir) {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (!entry.is_regular_file(ec)) continue;
        const bool plain = name.ends_with(".safetensors");
        const bool packed = name.ends_with(".safetensors.znn");
        if (packed && fs::exists(dir / name.substr(0, name.size() - 4))) continue;
        if (plain || packed) names.push_back((dir / name).string());
    }
    if (ec) throw IoError("cannot list base folder: " + ec.message(), dir.string());
    std::sort(names.begin(), names.end());
    if (names.empty())
        throw UsageError("no .safetensors or .safetensors.znn files in base folder", dir.string());
    return names;
}

}  // namespace

struct BaseModel::Impl {
    std::string path;
    std::string hint;
    std::vector<std::unique_ptr<Shard>> shards;
    std::vector<BaseTensor> tensors;
    std::vector<const Shard*> shard_of;   // per tensor
    std::vector<std::uint64_t> begin_of;  // per tensor: offset of its data in the shard
    std::map<std::string, std::size_t, std::less<>> by_name;
    mutable std::mutex mutex;
    mutable std::vector<std::optional<std::uint64_t>> checksums;

    void add_shard(const std::string& file) {
        auto shard = std::make_unique<Shard>();
        shard->path = file;
        shard->fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
        if (shard->fd < 0)
            throw IoError("cannot open base: " + std::string(std::strerror(errno)), file);
        std::uint64_t size = 0;
        if (starts_with_znn_magic(shard->fd, file)) {
            const int fd = shard->fd;
            shard->fd = -1;
            ::close(fd);
            shard->reader = std::make_unique<Reader>(file);
            size = shard->reader->size();
        } else {
            const off_t end = ::lseek(shard->fd, 0, SEEK_END);
            if (end < 0) throw IoError("cannot read base", file);
            size = static_cast<std::uint64_t>(end);
        }
        const Shard* s = shard.get();
        SafetensorsHeader header;
        try {
            header = read_safetensors_header(
                size, [s](std::uint64_t at, std::span<std::uint8_t> out) { s->read_at(at, out); });
        } catch (Error& e) {
            if (e.path().empty()) e.set_path(file);
            throw;
        }
        shard->data_start = header.data_start;
        for (TensorInfo& t : header.tensors) {
            if (by_name.count(t.name) != 0)
                throw FormatError("base tensor " + t.name + " is in two shards", file);
            by_name.emplace(t.name, tensors.size());
            tensors.push_back({t.name, t.dtype, t.shape, t.size()});
            shard_of.push_back(s);
            begin_of.push_back(header.data_start + t.begin);
        }
        shards.push_back(std::move(shard));
    }
};

BaseModel::BaseModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BaseModel::~BaseModel() = default;

std::unique_ptr<BaseModel> BaseModel::open(const std::string& path) {
    auto impl = std::make_unique<Impl>();
    impl->path = path;
    fs::path p(path);
    while (p.has_relative_path() && p.filename().empty()) p = p.parent_path();  // "dir/"
    impl->hint = p.filename().string();
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
        for (const std::string& file : list_shards(path)) impl->add_shard(file);
    } else {
        impl->add_shard(path);
    }
    impl->checksums.resize(impl->tensors.size());
    return std::unique_ptr<BaseModel>(new BaseModel(std::move(impl)));
}

const std::string& BaseModel::hint() const noexcept {
    return impl_->hint;
}
const std::string& BaseModel::path() const noexcept {
    return impl_->path;
}
std::size_t BaseModel::tensor_count() const noexcept {
    return impl_->tensors.size();
}

const BaseTensor* BaseModel::find(std::string_view name) const noexcept {
    const auto it = impl_->by_name.find(name);
    return it == impl_->by_name.end() ? nullptr : &impl_->tensors[it->second];
}

void BaseModel::read(const BaseTensor& tensor, std::uint64_t offset,
                     std::span<std::uint8_t> out) const {
    const auto index = static_cast<std::size_t>(&tensor - impl_->tensors.data());
    if (offset > tensor.size || out.size() > tensor.size - offset)
        throw UsageError("read past the end of base tensor " + tensor.name, impl_->path);
    impl_->shard_of[index]->read_at(impl_->begin_of[index] + offset, out);
}

std::uint64_t BaseModel::checksum(const BaseTensor& tensor) const {
    const auto index = static_cast<std::size_t>(&tensor - impl_->tensors.data());
    {
        const std::lock_guard<std::mutex> lock(impl_->mutex);
        if (impl_->checksums[index]) return *impl_->checksums[index];
    }
    // Streamed in pieces so a large tensor never needs its size in memory; pieces small
    // enough to stay in cache between the copy and the hash.
    constexpr std::size_t kPiece = std::size_t{256} << 10;
    thread_local Buffer piece;
    piece.resize(static_cast<std::size_t>(std::min<std::uint64_t>(kPiece, tensor.size)));
    StreamChecksum sum;
    for (std::uint64_t at = 0; at < tensor.size;) {
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(kPiece, tensor.size - at));
        read(tensor, at, {piece.data(), n});
        sum.update({piece.data(), n});
        at += n;
    }
    const std::uint64_t value = sum.digest();
    const std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->checksums[index] = value;
    return value;
}

}  // namespace znn
