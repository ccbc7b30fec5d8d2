#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>

#include "access/frame_index.hpp"
#include "common/bytes_io.hpp"
#include "format/frame.hpp"
#include "test_data.hpp"
#include "znn/reader.hpp"
#include "znn/znn.hpp"

using namespace znn;

namespace {

constexpr std::size_t kChunk = 4096;

// Two frames of BF16 weights (20000 and 13333 bytes) cut into 4 KiB chunks, concatenated.
struct TwoFrames {
    std::vector<std::uint8_t> content;
    std::vector<std::uint8_t> file;
    std::uint64_t boundary = 0;  // where the second frame's content starts

    TwoFrames() {
        CompressOptions o;
        o.threads = 1;
        o.chunk_size = kChunk;
        const auto a = test::bf16_weights(20'000, 1);
        const auto b = test::bf16_weights(13'333, 2);
        file = compress_buffer(a, o);
        const auto second = compress_buffer(b, o);
        file.insert(file.end(), second.begin(), second.end());
        content = a;
        content.insert(content.end(), b.begin(), b.end());
        boundary = a.size();
    }
};

// A ReadAt over a buffer that counts what it is asked for.
struct MemorySource {
    const std::vector<std::uint8_t>& bytes;
    std::atomic<std::uint64_t> reads{0};
    std::atomic<std::uint64_t> largest{0};
    std::atomic<std::uint64_t> furthest{0};  // the highest end of any read

    explicit MemorySource(const std::vector<std::uint8_t>& b) : bytes(b) {}
    ReadAt read_at() {
        return [this](std::uint64_t offset, std::span<std::uint8_t> out) {
            ++reads;
            std::uint64_t seen = largest.load();
            while (out.size() > seen && !largest.compare_exchange_weak(seen, out.size())) {
            }
            seen = furthest.load();
            while (offset + out.size() > seen &&
                   !furthest.compare_exchange_weak(seen, offset + out.size())) {
            }
            if (offset > bytes.size() || out.size() > bytes.size() - offset)
                throw FormatError("read past the end");
            std::memcpy(out.data(), bytes.data() + offset, out.size());
        };
    }
};

std::vector<std::uint8_t> expected(const std::vector<std::uint8_t>& content, std::uint64_t offset,
                                   std::size_t length) {
    if (offset >= content.size()) return {};
    const auto end = std::min<std::uint64_t>(content.size(), offset + length);
    return {content.begin() + static_cast<std::ptrdiff_t>(offset),
            content.begin() + static_cast<std::ptrdiff_t>(end)};
}

std::vector<std::uint8_t> read(Reader& reader, std::uint64_t offset, std::size_t length) {
    std::vector<std::uint8_t> out(length, 0xEE);
    out.resize(reader.read_at(offset, out));
    return out;
}

}  // namespace

TEST_CASE("reader: offsets and lengths of every class, across chunks and frames and the end") {
    const TwoFrames t;
    MemorySource source(t.file);
    ReaderOptions options;
    options.cache_size = 3 * kChunk;  // small: chunks come and go
    Reader reader(t.file.size(), source.read_at(), "two.znn", options);
    REQUIRE(reader.size() == t.content.size());
    REQUIRE(reader.chunk_count() == 5 + 4);

    const std::uint64_t size = t.content.size();
    const std::uint64_t b = t.boundary;
    const std::vector<std::uint64_t> offsets = {
        0, 1,     kChunk - 1,     kChunk,   kChunk + 1, 3 * kChunk - 7, b - 1,
        b, b + 1, b + kChunk - 1, size - 1, size,       size + 1,       size + 100'000};
    const std::vector<std::size_t> lengths = {
        0, 1, 2, 7, kChunk - 1, kChunk, kChunk + 1, 2 * kChunk + 3, 15'000, t.content.size()};
    for (const std::uint64_t offset : offsets) {
        for (const std::size_t length : lengths) {
            INFO("offset " << offset << " length " << length);
            const auto got = read(reader, offset, length);
            CHECK(got.size() == std::min<std::uint64_t>(length, offset < size ? size - offset : 0));
            CHECK(got == expected(t.content, offset, length));
        }
    }
    CHECK(read(reader, 0, size + 10) == t.content);
}

TEST_CASE("reader: the chunk map numbers chunks across frames in content order") {
    const TwoFrames t;
    MemorySource source(t.file);
    Reader reader(t.file.size(), source.read_at(), "two.znn");
    CHECK(reader.chunk_at(0) == 0);
    CHECK(reader.chunk_at(kChunk - 1) == 0);
    CHECK(reader.chunk_at(kChunk) == 1);
    CHECK(reader.chunk_at(t.boundary - 1) == 4);  // the first frame's short last chunk
    CHECK(reader.chunk_at(t.boundary) == 5);
    CHECK(reader.chunk_offset(5) == t.boundary);
    CHECK(reader.chunk_offset(reader.chunk_count()) == reader.size());
    CHECK_THROWS_AS(reader.chunk_at(reader.size()), UsageError);
    for (std::size_t i = 0; i < reader.chunk_count(); ++i)
        CHECK(reader.chunk_at(reader.chunk_offset(i)) == i);
}

TEST_CASE("reader: an empty content has size 0 and every read returns nothing") {
    const auto file = compress_buffer({});
    MemorySource source(file);
    Reader reader(file.size(), source.read_at(), "empty.znn");
    CHECK(reader.size() == 0);
    CHECK(reader.chunk_count() == 0);
    CHECK(read(reader, 0, 10).empty());
    CHECK(reader.read_pieces(0, 10).empty());
}

TEST_CASE("reader: only the chunks a read touches are read from the source") {
    const TwoFrames t;
    MemorySource source(t.file);
    ReaderOptions options;
    options.read_ahead = false;
    Reader reader(t.file.size(), source.read_at(), "two.znn", options);
    const auto opened = source.reads.load();
    CHECK(read(reader, 2 * kChunk + 10, 100) == expected(t.content, 2 * kChunk + 10, 100));
    CHECK(source.reads.load() == opened + 1);
    CHECK(read(reader, 2 * kChunk + 500, 100) == expected(t.content, 2 * kChunk + 500, 100));
    CHECK(source.reads.load() == opened + 1);  // cached
}

TEST_CASE("reader: many threads reading at random get the right bytes") {
    const TwoFrames t;
    MemorySource source(t.file);
    auto cache = std::make_shared<ChunkCache>(2 * kChunk, 3);  // smaller than the content
    ReaderOptions options;
    options.cache = cache;
    Reader reader(t.file.size(), source.read_at(), "two.znn", options);
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (unsigned id = 0; id < 8; ++id) {
        threads.emplace_back([&, id] {
            std::mt19937_64 rng(id);
            for (int i = 0; i < 1500; ++i) {
                const std::uint64_t offset = rng() % (t.content.size() + 10);
                const std::size_t length = rng() % (3 * kChunk);
                if (read(reader, offset, length) != expected(t.content, offset, length)) ++wrong;
            }
        });
    }
    for (auto& th : threads) th.join();
    CHECK(wrong.load() == 0);
    CHECK(cache->size() <= cache->capacity() + 3 * kChunk);
}

TEST_CASE("reader: pieces stay valid after the cache has dropped their chunks") {
    const TwoFrames t;
    MemorySource source(t.file);
    ReaderOptions options;
    options.cache_size = 0;
    Reader reader(t.file.size(), source.read_at(), "two.znn", options);
    const auto pieces = reader.read_pieces(kChunk - 10, 2 * kChunk);
    REQUIRE(pieces.size() == 3);
    (void)read(reader, t.boundary, 3 * kChunk);  // other chunks through the same cache
    std::vector<std::uint8_t> joined;
    for (const ContentPiece& p : pieces)
        joined.insert(joined.end(), p.bytes.begin(), p.bytes.end());
    CHECK(joined == expected(t.content, kChunk - 10, 2 * kChunk));
}

TEST_CASE("reader: a corrupt chunk fails only the reads that touch it") {
    TwoFrames t;
    MemorySource source(t.file);
    const auto index = detail::index_frames(t.file.size(), source.read_at());
    const detail::ChunkLocation& bad = index.chunks[2];
    t.file[bad.block_offset + bad.block_size - 5] ^= 0x40;  // in its payload
    for (const bool ahead : {false, true}) {
        ReaderOptions options;
        options.read_ahead = ahead;
        options.cache_size = 2 * kChunk;
        Reader reader(t.file.size(), source.read_at(), "two.znn", options);
        for (int round = 0; round < 2; ++round) {  // still failing, not cached as good
            CHECK_THROWS_AS(read(reader, bad.content_offset + 100, 10), FormatError);
            CHECK_THROWS_WITH(read(reader, bad.content_offset + 100, 10),
                              Catch::Contains("chunk 2"));
            CHECK_THROWS_AS(read(reader, 0, t.content.size()), FormatError);
            CHECK_THROWS_AS(reader.read_pieces(bad.content_offset - 1, 2), FormatError);
            // Everything else, up to the byte before and from the byte after.
            CHECK(read(reader, 0, bad.content_offset) ==
                  expected(t.content, 0, bad.content_offset));
            const std::uint64_t after = bad.content_offset + bad.raw_size;
            CHECK(read(reader, after, t.content.size()) ==
                  expected(t.content, after, t.content.size()));
        }
    }
}

TEST_CASE("reader: any flipped byte is refused or reads back right, never a wrong byte") {
    CompressOptions o;
    o.threads = 1;
    o.chunk_size = 1024;
    const auto content = test::bf16_weights(3000, 3);
    auto frame = compress_buffer(content, o);
    const auto second = compress_buffer(test::bf16_weights(900, 4), o);
    frame.insert(frame.end(), second.begin(), second.end());
    std::vector<std::uint8_t> all = content;
    const auto more = test::bf16_weights(900, 4);
    all.insert(all.end(), more.begin(), more.end());
    auto cache = std::make_shared<ChunkCache>(1 << 20, 1);
    ReaderOptions options;
    options.cache = cache;
    int opened = 0;
    for (std::size_t pos = 0; pos < frame.size(); ++pos) {
        auto bad = frame;
        bad[pos] ^= 0x01;
        MemorySource source(bad);
        std::unique_ptr<Reader> reader;
        try {
            reader = std::make_unique<Reader>(bad.size(), source.read_at(), "bad.znn", options);
        } catch (const FormatError&) {
            continue;
        }
        ++opened;
        INFO("byte " << pos);
        for (std::uint64_t offset = 0; offset < all.size(); offset += 700) {
            try {
                const auto got = read(*reader, offset, 1500);
                CHECK(got == expected(all, offset, 1500));
            } catch (const FormatError&) {
            }
        }
    }
    CHECK(opened > 0);  // payload bytes: the structure is intact, only reads can tell
}

TEST_CASE("reader: hostile footers and seek tables are refused before anything large is read") {
    const TwoFrames t;
    const std::size_t footer_at = t.file.size() - kFooterSize;
    const std::size_t entries_at = footer_at - kSeekEntrySize * 4;  // the second frame's 4 entries
    auto open = [](const std::vector<std::uint8_t>& file, MemorySource& source) {
        Reader reader(file.size(), source.read_at(), "bad.znn");
    };
    auto patched = [&](std::size_t at, std::uint64_t value) {
        auto file = t.file;
        store_le<std::uint64_t>(file.data() + at, value);
        return file;
    };
    const std::vector<std::pair<const char*, std::vector<std::uint8_t>>> cases = {
        {"chunk count 2^40", patched(footer_at, std::uint64_t{1} << 40)},
        {"chunk count 2^60", patched(footer_at, std::uint64_t{1} << 60)},
        {"frame size past the start", patched(footer_at + 24, t.file.size() + 1)},
        {"frame size 2^63", patched(footer_at + 24, std::uint64_t{1} << 63)},
        {"content size off by one", patched(footer_at + 8, 13'334)},
        {"block size 0", patched(entries_at, 0)},
        {"block size huge", patched(entries_at, std::uint64_t{1} << 62)},
        {"raw size 0", patched(entries_at + 8, 0)},
        {"raw size over the chunk limit", patched(entries_at + 8, std::uint64_t{1} << 40)},
        {"raw size 2^64-1", patched(entries_at + 8, ~std::uint64_t{0})},
    };
    for (const auto& [what, file] : cases) {
        INFO(what);
        MemorySource source(file);
        CHECK_THROWS_AS(open(file, source), FormatError);
        CHECK(source.largest.load() <= 64 * 1024);
    }
    // A seek entry that moves block sizes between chunks passes the open (the sums still
    // agree) but its chunks' headers disagree with it: those reads fail, never misread.
    auto shifted = t.file;
    const auto e0 = load_le<std::uint64_t>(shifted.data() + entries_at);
    const auto e1 = load_le<std::uint64_t>(shifted.data() + entries_at + kSeekEntrySize);
    store_le<std::uint64_t>(shifted.data() + entries_at, e0 + 8);
    store_le<std::uint64_t>(shifted.data() + entries_at + kSeekEntrySize, e1 - 8);
    MemorySource source(shifted);
    Reader reader(shifted.size(), source.read_at(), "shifted.znn");
    CHECK_THROWS_AS(read(reader, t.boundary, 10), FormatError);
    CHECK_THROWS_AS(read(reader, t.boundary + kChunk, 10), FormatError);
    CHECK(read(reader, t.boundary + 2 * kChunk, 10) ==
          expected(t.content, t.boundary + 2 * kChunk, 10));
    CHECK(read(reader, 0, t.boundary) == expected(t.content, 0, t.boundary));
}

TEST_CASE("reader: sequential reads have the next chunks decoded ahead, random ones not") {
    constexpr std::size_t kBig = 64 << 10;
    CompressOptions o;
    o.threads = 2;
    o.chunk_size = kBig;
    const auto content = test::bf16_weights(256 * kBig, 5);  // 16 MiB, 256 chunks
    const auto file = compress_buffer(content, o);
    const std::uint64_t per_chunk = file.size() / 256;  // compressed, roughly

    MemorySource source(file);
    Reader reader(file.size(), source.read_at(), "seq.znn");
    for (std::uint64_t at = 0; at < 4 * kBig; at += 16 << 10)
        CHECK(read(reader, at, 16 << 10) == expected(content, at, 16 << 10));
    // The workers read blocks well beyond the four chunks read so far (waited for, not timed).
    for (int i = 0; i < 500 && source.furthest.load() < 8 * per_chunk; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    CHECK(source.furthest.load() >= 8 * per_chunk);

    // A stream does not keep what it has left behind: the cache holds about the read-ahead
    // window, not all 16 MiB read.
    auto cache = std::make_shared<ChunkCache>(64 << 20, 2);
    ReaderOptions shared;
    shared.cache = cache;
    Reader streamed(file.size(), source.read_at(), "stream.znn", shared);
    for (std::uint64_t at = 0; at < content.size(); at += 128 << 10)
        CHECK(read(streamed, at, 128 << 10) == expected(content, at, 128 << 10));
    CHECK(cache->size() <= std::size_t{12} << 20);

    // Reads far apart decode only their own chunk.
    MemorySource random_source(file);
    Reader random_reader(file.size(), random_source.read_at(), "random.znn");
    const auto opened = random_source.reads.load();
    for (std::uint64_t chunk : {220u, 10u, 150u, 60u, 200u, 100u}) {
        const std::uint64_t at = chunk * kBig + 100;
        CHECK(read(random_reader, at, 4096) == expected(content, at, 4096));
    }
    CHECK(random_source.reads.load() == opened + 6);
}

TEST_CASE("reader: opens files by path and names them in errors") {
    const TwoFrames t;
    const std::string path = "reader_test_" + std::to_string(::getpid()) + ".znn";
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(t.file.data()),
               static_cast<std::streamsize>(t.file.size()));
    {
        Reader reader(path);
        CHECK(reader.name() == path);
        CHECK(read(reader, 5, 30000) == expected(t.content, 5, 30000));
    }
    std::ofstream(path, std::ios::binary) << "not a znn file at all, just some text here ......";
    CHECK_THROWS_MATCHES(Reader(path), FormatError,
                         Catch::Matchers::Predicate<FormatError>(
                             [&](const FormatError& e) { return e.path() == path; }));
    std::remove(path.c_str());
    CHECK_THROWS_AS(Reader(path), IoError);
}
