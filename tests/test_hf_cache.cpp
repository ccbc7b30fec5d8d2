// The Hugging Face cache: changed files become new blobs, and a blob shared by another revision
// is never modified or removed.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <string>

#include "model/sha.hpp"
#include "temp_files.hpp"
#include "znn/atomic_file.hpp"
#include "znn/errors.hpp"
#include "znn/model_dir.hpp"

namespace fs = std::filesystem;

namespace {

using znn::test::read_text;
using znn::test::write_text;

// models--org--name/{blobs, refs/main, snapshots/{rev1, rev2}} in a fresh temp folder, removed
// at the end. Revisions link to blobs the way huggingface_hub does: "../../blobs/<hash>".
struct HfCache {
    fs::path tmp;
    fs::path root;
    fs::path blobs;
    fs::path rev1;
    fs::path rev2;

    HfCache() {
        std::random_device rd;
        tmp = fs::temp_directory_path() /
              ("znn-test-hf-cache-" + std::to_string(rd()) + "-" + std::to_string(rd()));
        root = tmp / "models--org--name";
        blobs = root / "blobs";
        rev1 = root / "snapshots" / "1111111111111111111111111111111111111111";
        rev2 = root / "snapshots" / "2222222222222222222222222222222222222222";
        fs::create_directories(blobs);
        fs::create_directories(rev1);
        fs::create_directories(rev2);
        fs::create_directories(root / "refs");
        write_text(root / "refs" / "main", rev2.filename().string());
    }
    ~HfCache() {
        std::error_code ec;
        fs::remove_all(tmp, ec);
    }
    HfCache(const HfCache&) = delete;
    HfCache& operator=(const HfCache&) = delete;

    fs::path add_blob(const std::string& name, const std::string& content) const {
        write_text(blobs / name, content);
        return blobs / name;
    }
    fs::path link(const fs::path& rev, const std::string& file, const std::string& blob) const {
        fs::create_symlink(fs::path("../../blobs") / blob, rev / file);
        return rev / file;
    }
    // A finished file waiting to go into the cache, written where its blob will be.
    std::unique_ptr<znn::AtomicFile> make_pending(const std::string& content) const {
        auto file = std::make_unique<znn::AtomicFile>(blobs / "pending");
        REQUIRE(::write(file->fd(), content.data(), content.size()) ==
                static_cast<ssize_t>(content.size()));
        return file;
    }
    std::size_t blob_count() const {
        return static_cast<std::size_t>(
            std::distance(fs::directory_iterator(blobs), fs::directory_iterator()));
    }
};

std::string sha256_hex(const std::string& content) {
    znn::Sha256 hash;
    hash.update({reinterpret_cast<const std::uint8_t*>(content.data()), content.size()});
    return znn::to_hex(hash.finish());
}

}  // namespace

TEST_CASE("hf_cache: hf_blobs_dir recognises links into a cache only") {
    HfCache cache;
    cache.add_blob("aaaa", "weights");
    const auto link = cache.link(cache.rev1, "model.safetensors", "aaaa");
    const auto blobs = znn::hf_blobs_dir(link);
    REQUIRE(blobs);
    CHECK(fs::equivalent(*blobs, cache.blobs));

    CHECK_FALSE(znn::hf_blobs_dir(cache.blobs / "aaaa"));  // the blob itself is no link
    write_text(cache.rev1 / "plain.json", "{}");
    CHECK_FALSE(znn::hf_blobs_dir(cache.rev1 / "plain.json"));
    CHECK_FALSE(znn::hf_blobs_dir(cache.link(cache.rev1, "dangling", "missing")));
    CHECK_FALSE(znn::hf_blobs_dir(cache.tmp / "missing"));
    // A symlink to a folder named blobs without a snapshots/ sibling is not a cache.
    fs::create_directories(cache.tmp / "other" / "blobs");
    write_text(cache.tmp / "other" / "blobs" / "x", "x");
    fs::create_symlink(cache.tmp / "other" / "blobs" / "x", cache.tmp / "x_link");
    CHECK_FALSE(znn::hf_blobs_dir(cache.tmp / "x_link"));
}

TEST_CASE("hf_cache: a link into a cache's blobs from outside its snapshots is not the cache's") {
    HfCache cache;
    cache.add_blob("aaaa", "weights");
    // A model folder elsewhere whose shard is planted as a link into the cache: processing that
    // folder must not write or delete in the cache.
    fs::create_directories(cache.tmp / "model");
    fs::create_symlink(cache.blobs / "aaaa", cache.tmp / "model" / "w.safetensors");
    CHECK_FALSE(znn::hf_blobs_dir(cache.tmp / "model" / "w.safetensors"));
    // Nor is a link in snapshots/ itself (not in a revision), or in refs/.
    fs::create_symlink("../blobs/aaaa", cache.root / "snapshots" / "loose");
    CHECK_FALSE(znn::hf_blobs_dir(cache.root / "snapshots" / "loose"));
    fs::create_symlink("../blobs/aaaa", cache.root / "refs" / "link");
    CHECK_FALSE(znn::hf_blobs_dir(cache.root / "refs" / "link"));
    // A revision's own link, also reached through a nested folder, is.
    fs::create_directories(cache.rev1 / "sub");
    fs::create_symlink("../../../blobs/aaaa", cache.rev1 / "sub" / "w");
    CHECK(znn::hf_blobs_dir(cache.rev1 / "sub" / "w"));
}

TEST_CASE("hf_cache: blobs are named as the Hub names them") {
    HfCache cache;
    // Small text: its Git blob id, as `git hash-object` prints it.
    write_text(cache.tmp / "text", "hello\n");
    CHECK(znn::hf_blob_name(cache.tmp / "text") == "ce013625030ba8dba906f756967f9e9ca394464a");
    write_text(cache.tmp / "empty", "");
    CHECK(znn::hf_blob_name(cache.tmp / "empty") == "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
    // Binary (a NUL in the first 512 bytes): an LFS file, named by SHA-256.
    const std::string binary = std::string("ab\0cd", 5) + std::string(1000, 'x');
    write_text(cache.tmp / "binary", binary);
    CHECK(znn::hf_blob_name(cache.tmp / "binary") == sha256_hex(binary));
    // A NUL only past the sample does not make a small file binary.
    const std::string late_nul = std::string(600, 'x') + std::string(1, '\0');
    write_text(cache.tmp / "late", late_nul);
    CHECK(znn::hf_blob_name(cache.tmp / "late").size() == 40);
    // Large text: LFS too.
    const std::string large(znn::kHfLfsMinSize, 'y');
    write_text(cache.tmp / "large", large);
    CHECK(znn::hf_blob_name(cache.tmp / "large") == sha256_hex(large));
    CHECK_THROWS_AS(znn::hf_blob_name(cache.tmp / "missing"), znn::IoError);
}

TEST_CASE("hf_cache: a new blob for one revision leaves the other revision's blob alone") {
    HfCache cache;
    const auto old_blob = cache.add_blob("aaaa", "original weights");
    const auto link1 = cache.link(cache.rev1, "model.safetensors", "aaaa");
    const auto link2 = cache.link(cache.rev2, "model.safetensors", "aaaa");

    const std::string content = std::string("compressed\0weights", 18);
    auto pending = cache.make_pending(content);
    const auto blob = znn::hf_store_blob(cache.blobs, *pending, link1, false);

    CHECK(blob == cache.blobs / sha256_hex(content));
    CHECK(fs::is_symlink(link1));
    CHECK(fs::read_symlink(link1) == fs::path("../../blobs") / blob.filename());  // relative
    CHECK(read_text(link1) == content);
    CHECK(fs::read_symlink(link2) == fs::path("../../blobs/aaaa"));
    CHECK(read_text(link2) == "original weights");
    CHECK(read_text(old_blob) == "original weights");
    CHECK(cache.blob_count() == 2);
    // No temp links left behind.
    CHECK(std::distance(fs::directory_iterator(cache.rev1), fs::directory_iterator()) == 1);
}

TEST_CASE("hf_cache: storing identical content reuses the existing blob") {
    HfCache cache;
    auto first_file = cache.make_pending("same");
    const auto first =
        znn::hf_store_blob(cache.blobs, *first_file, cache.rev1 / "model.safetensors.znn", false);
    struct stat before {};
    REQUIRE(::stat(first.c_str(), &before) == 0);
    auto second_file = cache.make_pending("same");
    const auto second =
        znn::hf_store_blob(cache.blobs, *second_file, cache.rev2 / "model.safetensors.znn", false);
    CHECK(first == second);
    struct stat after {};
    REQUIRE(::stat(second.c_str(), &after) == 0);
    CHECK(after.st_ino == before.st_ino);  // the very same file, not a copy renamed over it
    CHECK(cache.blob_count() == 1);
    CHECK(read_text(cache.rev1 / "model.safetensors.znn") == "same");
    CHECK(read_text(cache.rev2 / "model.safetensors.znn") == "same");
}

TEST_CASE("hf_cache: a damaged blob under the right name is replaced, not reused") {
    HfCache cache;
    const std::string content = std::string("\0good bytes", 11);
    const std::string name = sha256_hex(content);
    // Same name, same size, other bytes: what a bit flip or a torn download leaves.
    const auto damaged = cache.add_blob(name, std::string("\0bad! bytes", 11));
    const auto link = cache.link(cache.rev2, "model.safetensors", name);
    auto pending = cache.make_pending(content);
    const auto blob = znn::hf_store_blob(cache.blobs, *pending, cache.rev1 / "x.znn", false);
    CHECK(blob == damaged);
    CHECK(read_text(blob) == content);
    CHECK(read_text(link) == content);  // the other revision's link is repaired too
    CHECK(cache.blob_count() == 1);
}

TEST_CASE("hf_cache: links in nested snapshot folders are relative too") {
    HfCache cache;
    fs::create_directories(cache.rev1 / "sub");
    const auto link = cache.rev1 / "sub" / "model.safetensors.znn";
    auto pending = cache.make_pending("nested");
    const auto blob = znn::hf_store_blob(cache.blobs, *pending, link, false);
    CHECK(fs::read_symlink(link) == fs::path("../../../blobs") / blob.filename());
    CHECK(read_text(link) == "nested");
}

TEST_CASE("hf_cache: hf_blob_shared sees links from other revisions") {
    HfCache cache;
    const auto shared = cache.add_blob("aaaa", "shared");
    const auto single = cache.add_blob("cccc", "single");
    const auto link1 = cache.link(cache.rev1, "model.safetensors", "aaaa");
    cache.link(cache.rev2, "model.safetensors", "aaaa");
    const auto config = cache.link(cache.rev2, "config.json", "cccc");

    CHECK(znn::hf_blob_shared(cache.blobs, shared, link1));
    CHECK_FALSE(znn::hf_blob_shared(cache.blobs, single, config));
    CHECK(znn::hf_blob_shared(cache.blobs, single, link1));  // config.json still uses it
    // A differently spelled path to the same link is still the excepted link.
    CHECK_FALSE(znn::hf_blob_shared(cache.blobs, single, cache.rev2 / "." / "config.json"));
    CHECK_FALSE(znn::hf_blob_shared(cache.blobs, cache.blobs / "unused", link1));
}

TEST_CASE("hf_cache: hf_remove_link keeps a shared blob and removes an unshared one") {
    HfCache cache;
    const auto shared = cache.add_blob("aaaa", "shared");
    const auto single = cache.add_blob("cccc", "single");
    const auto link1 = cache.link(cache.rev1, "model.safetensors", "aaaa");
    const auto link2 = cache.link(cache.rev2, "model.safetensors", "aaaa");
    const auto config = cache.link(cache.rev2, "config.json", "cccc");

    znn::hf_remove_link(link1);
    CHECK_FALSE(fs::exists(fs::symlink_status(link1)));
    CHECK(read_text(shared) == "shared");
    CHECK(read_text(link2) == "shared");

    znn::hf_remove_link(config);
    CHECK_FALSE(fs::exists(fs::symlink_status(config)));
    CHECK_FALSE(fs::exists(single));

    // The last link to the once-shared blob takes the blob with it.
    znn::hf_remove_link(link2);
    CHECK_FALSE(fs::exists(shared));

    // Outside a cache, the path is simply removed.
    write_text(cache.tmp / "plain", "x");
    znn::hf_remove_link(cache.tmp / "plain");
    CHECK_FALSE(fs::exists(cache.tmp / "plain"));
}

TEST_CASE("hf_cache: sync_index on a cached index writes a new blob, the old one untouched") {
    HfCache cache;
    const std::string index_text = R"({
  "metadata": {
    "total_size": 8
  },
  "weight_map": {
    "w": "model.safetensors"
  }
}
)";
    const auto old_blob = cache.add_blob("iiii", index_text);
    cache.add_blob("wwww", "weights!");
    const auto index1 = cache.link(cache.rev1, "model.safetensors.index.json", "iiii");
    const auto index2 = cache.link(cache.rev2, "model.safetensors.index.json", "iiii");
    cache.link(cache.rev2, "model.safetensors", "wwww");
    // Revision 1 has been compressed: its shard link now names a .znn blob.
    cache.link(cache.rev1, "model.safetensors.znn", "wwww");

    CHECK(znn::find_index_files(cache.root) == std::vector<fs::path>{index1, index2});
    const auto sync = znn::sync_index(index1);
    REQUIRE(sync.changed());

    std::string expected = index_text;
    expected.replace(expected.find("model.safetensors"), 17, "model.safetensors.znn");
    CHECK(read_text(index1) == expected);
    CHECK(fs::is_symlink(index1));
    const auto new_blob = fs::canonical(index1);
    CHECK(new_blob.parent_path() == fs::canonical(cache.blobs));
    CHECK(new_blob.filename() == znn::hf_blob_name(new_blob));  // a Git blob id: small text
    CHECK(new_blob.filename().string().size() == 40);
    CHECK(fs::read_symlink(index1).parent_path() == fs::path("../../blobs"));

    CHECK(read_text(old_blob) == index_text);
    CHECK(sync.replaced_blob == fs::canonical(old_blob));  // for --rm to remove once unused
    CHECK(fs::read_symlink(index2) == fs::path("../../blobs/iiii"));
    // Revision 2 still has its original shard: its index stays as it is.
    CHECK_FALSE(znn::sync_index(index2).changed());
    CHECK_FALSE(znn::sync_index(index1).changed());
    // Only the new index blob was added; no temp files remain.
    CHECK(std::distance(fs::directory_iterator(cache.blobs), fs::directory_iterator()) == 3);
}

TEST_CASE("hf_cache: hf_remove_unused_blob removes a blob only when no link names it") {
    HfCache cache;
    const auto used = cache.add_blob("aaaa", "used");
    const auto unused = cache.add_blob("bbbb", "unused");
    cache.link(cache.rev2, "model.safetensors", "aaaa");
    CHECK_FALSE(znn::hf_remove_unused_blob(cache.blobs, used));
    CHECK(read_text(used) == "used");
    CHECK(znn::hf_remove_unused_blob(cache.blobs, unused));
    CHECK_FALSE(fs::exists(unused));
    CHECK_FALSE(znn::hf_remove_unused_blob(cache.blobs, unused));  // already gone: nothing to do
}
