// Reader: the public face of random access. Finds the chunks a read touches, has them decoded
// (here, or on the workers when a read spans several or the stream is sequential) and hands
// out their bytes.
#include "znn/reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "access/chunk_store.hpp"
#include "access/decode_workers.hpp"
#include "access/reader_state.hpp"
#include "znn/errors.hpp"
#include "znn/stream.hpp"

namespace znn {

using detail::ChunkKey;
using detail::ChunkSlot;

namespace {

// read_at copies this much at a time, so a huge read never holds all of its chunks at once.
constexpr std::size_t kCopyStep = std::size_t{8} << 20;
// Chunks handed to the workers together.
constexpr std::uint64_t kTaskBytes = std::uint64_t{1} << 20;
// Reads spanning more chunks than this decode them on the workers too.
constexpr std::size_t kParallelChunks = 8;
// The read-ahead window at most, and at most a quarter of the cache so what it decodes is
// still there when the reader arrives.
constexpr std::uint64_t kMaxReadAhead = std::uint64_t{8} << 20;

unsigned threads_for(unsigned requested) {
    return requested != 0 ? requested : std::max(1u, std::thread::hardware_concurrency());
}

// An open file, closed once the last Reader state or task using it lets go.
struct FileSource {
    int fd = -1;
    std::string path;
    ~FileSource() {
        if (fd >= 0) ::close(fd);
    }
    void read_at(std::uint64_t offset, std::span<std::uint8_t> out) const {
        read_fd_at(fd, offset, out, path);
    }
};

std::shared_ptr<detail::ReaderState> open_state(std::uint64_t source_size, ReadAt read_at,
                                                std::string name, std::size_t cache_capacity,
                                                const ReaderOptions& options) {
    detail::FrameIndex index;
    try {
        index = detail::index_frames(source_size, read_at);
    } catch (Error& e) {
        if (e.path().empty()) e.set_path(name);
        throw;
    }
    const std::uint64_t window = std::min<std::uint64_t>(kMaxReadAhead, cache_capacity / 4);
    return std::make_shared<detail::ReaderState>(std::move(name), std::move(read_at),
                                                 std::move(index), window, options.base,
                                                 options.allow_missing_base);
}

std::shared_ptr<ChunkCache> cache_for(const ReaderOptions& options) {
    return options.cache ? options.cache
                         : std::make_shared<ChunkCache>(options.cache_size, options.threads);
}

}  // namespace

ChunkCache::ChunkCache(std::size_t capacity, unsigned threads)
    : store_(std::make_unique<detail::ChunkStore>(capacity)),
      workers_(std::make_unique<detail::DecodeWorkers>(threads_for(threads))) {}

// The workers go first: a running task may still use the store.
ChunkCache::~ChunkCache() {
    workers_.reset();
}

std::size_t ChunkCache::capacity() const noexcept {
    return store_->capacity();
}

std::size_t ChunkCache::size() const {
    return store_->size();
}

Reader::Reader(const std::string& path, ReaderOptions options)
    : cache_(cache_for(options)), read_ahead_(options.read_ahead) {
    auto file = std::make_shared<FileSource>();
    file->path = path;
    file->fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (file->fd < 0) throw IoError(std::string("cannot open: ") + std::strerror(errno), path);
    struct stat st {};
    if (::fstat(file->fd, &st) != 0 || !S_ISREG(st.st_mode))
        throw IoError("not a regular file (random access needs a seekable file)", path);
    ReadAt read_at = [file](std::uint64_t offset, std::span<std::uint8_t> out) {
        file->read_at(offset, out);
    };
    state_ = open_state(static_cast<std::uint64_t>(st.st_size), std::move(read_at), path,
                        cache_->capacity(), options);
}

Reader::Reader(std::uint64_t source_size, ReadAt read_at, std::string name, ReaderOptions options)
    : cache_(cache_for(options)),
      state_(open_state(source_size, std::move(read_at), std::move(name), cache_->capacity(),
                        options)),
      read_ahead_(options.read_ahead) {}

Reader::~Reader() {
    cache_->store_->remove_reader(state_->id);
}

std::uint64_t Reader::size() const noexcept {
    return state_->index.content_size;
}

const std::string& Reader::name() const noexcept {
    return state_->name;
}

std::size_t Reader::chunk_count() const noexcept {
    return state_->index.chunks.size();
}

std::size_t Reader::chunk_at(std::uint64_t offset) const {
    if (offset >= size()) throw UsageError("offset past the end of the content", name());
    return state_->index.chunk_at(offset);
}

std::uint64_t Reader::chunk_offset(std::size_t index) const {
    const auto& chunks = state_->index.chunks;
    if (index > chunks.size()) throw UsageError("no such chunk", name());
    return index == chunks.size() ? size() : chunks[index].content_offset;
}

// Queues chunks first..last for decoding on the workers, skipping those already held. Chunks
// go out in tasks of about kTaskBytes: a task per chunk woke a worker per chunk.
void Reader::schedule(std::size_t first, std::size_t last) {
    detail::ChunkStore& store = *cache_->store_;
    const detail::FrameIndex& index = state_->index;
    using Batch = std::vector<std::pair<std::size_t, std::shared_ptr<ChunkSlot>>>;
    auto submit = [&](Batch batch) {
        cache_->workers_->submit(
            [weak = std::weak_ptr<detail::ReaderState>(state_), batch = std::move(batch), &store] {
                for (const auto& [i, slot] : batch) {
                    if (!slot->claim()) continue;  // a reader got to it first
                    const auto state = weak.lock();
                    if (!state) {  // closed meanwhile: nobody will ask for it
                        slot->finish(std::make_exception_ptr(Error("reader closed")));
                        continue;
                    }
                    state->decode(i, *slot);
                    if (slot->failed()) store.remove({state->id, i}, slot.get());
                }
            });
    };
    Batch batch;
    std::uint64_t batch_bytes = 0;
    for (std::size_t i = first; i <= last; ++i) {
        bool created = false;
        auto slot = store.find_or_insert({state_->id, i}, index.chunks[i].raw_size, created);
        if (!created) continue;
        batch.emplace_back(i, std::move(slot));
        batch_bytes += index.chunks[i].raw_size;
        if (batch_bytes >= kTaskBytes) {
            submit(std::move(batch));
            batch = {};
            batch_bytes = 0;
        }
    }
    if (!batch.empty()) submit(std::move(batch));
}

void Reader::note_read(std::uint64_t offset, std::size_t length) {
    const auto plan = state_->ahead.plan(offset, length, size());
    const detail::FrameIndex& index = state_->index;
    if (plan.behind.begin < plan.behind.end) {
        // Whole chunks only: the one holding the range's end may still be read.
        const std::size_t first = index.chunk_at(plan.behind.begin);
        const std::size_t end = index.chunk_at(plan.behind.end);
        if (first < end) cache_->store_->release(state_->id, first, end - 1);
    }
    if (plan.ahead.begin < plan.ahead.end)
        schedule(index.chunk_at(plan.ahead.begin), index.chunk_at(plan.ahead.end - 1));
}

std::vector<ContentPiece> Reader::read_pieces(std::uint64_t offset, std::size_t length) {
    std::vector<ContentPiece> pieces;
    if (offset >= size() || length == 0) return pieces;
    length = static_cast<std::size_t>(std::min<std::uint64_t>(length, size() - offset));
    const detail::FrameIndex& index = state_->index;
    const std::size_t first = index.chunk_at(offset);
    const std::size_t last = index.chunk_at(offset + length - 1);
    if (read_ahead_) note_read(offset, length);
    // A read over many chunks has the later ones decoded on the workers while this thread
    // takes the first; a few are decoded here, as handing them over costs a thread wake-up
    // each (milliseconds on a busy machine) against ~0.1 ms to decode one.
    if (last - first >= kParallelChunks) schedule(first + 1, last);

    detail::ChunkStore& store = *cache_->store_;
    pieces.reserve(last - first + 1);
    for (std::size_t i = first; i <= last; ++i) {
        const detail::ChunkLocation& c = index.chunks[i];
        bool created = false;
        auto slot = store.find_or_insert({state_->id, i}, c.raw_size, created);
        if (slot->claim()) {
            state_->decode(i, *slot);
            if (slot->failed()) store.remove({state_->id, i}, slot.get());
        }
        slot->wait();
        const std::uint64_t begin = std::max(offset, c.content_offset) - c.content_offset;
        const std::uint64_t end =
            std::min(offset + length, c.content_offset + c.raw_size) - c.content_offset;
        pieces.push_back({std::span<const std::uint8_t>(slot->bytes).subspan(begin, end - begin),
                          std::shared_ptr<const void>(std::move(slot))});
    }
    return pieces;
}

std::size_t Reader::read_at(std::uint64_t offset, std::span<std::uint8_t> out) {
    std::size_t done = 0;
    while (done < out.size()) {
        const auto pieces = read_pieces(offset + done, std::min(out.size() - done, kCopyStep));
        if (pieces.empty()) break;
        for (const ContentPiece& p : pieces) {
            std::memcpy(out.data() + done, p.bytes.data(), p.bytes.size());
            done += p.bytes.size();
        }
    }
    return done;
}

}  // namespace znn
