// The Hugging Face cache: changed files become new blobs, and a blob shared by another revision
// is never modified or removed.
#include <catch2/catch.hpp>

// Inline, so the test needs no link dependency of its own on libxxhash.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

#include "znn/errors.hpp"
#include "znn/model_dir.hpp"

namespace fs = std::filesystem;

namespace {

void write_text(const fs::path& file, const std::string& text) {
    std::ofstream out(file, std::ios::binary);
    out << text;
    REQUIRE(out.good());
}

std::string read_text(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

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
    // A finished file waiting to go into the cache.
    fs::path make_tmp(const std::string& content) const {
        write_text(tmp / "pending", content);
        return tmp / "pending";
    }
};

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

TEST_CASE("hf_cache: hf_content_hash is the XXH3-128 of the content in hex") {
    HfCache cache;
    std::string content(3u << 20, '\0');  // more than one read buffer
    for (std::size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>(i * 131 % 251);
    const auto file = cache.make_tmp(content);
    XXH128_canonical_t canonical;
    XXH128_canonicalFromHash(&canonical, XXH3_128bits(content.data(), content.size()));
    std::string expected;
    for (const unsigned char byte : canonical.digest) {
        static constexpr char kDigits[] = "0123456789abcdef";
        expected += kDigits[byte >> 4];
        expected += kDigits[byte & 0xf];
    }
    CHECK(znn::hf_content_hash(file) == expected);
    CHECK_THROWS_AS(znn::hf_content_hash(cache.tmp / "missing"), znn::IoError);
}

TEST_CASE("hf_cache: a new blob for one revision leaves the other revision's blob alone") {
    HfCache cache;
    const auto old_blob = cache.add_blob("aaaa", "original weights");
    const auto link1 = cache.link(cache.rev1, "model.safetensors", "aaaa");
    const auto link2 = cache.link(cache.rev2, "model.safetensors", "aaaa");

    const auto tmp = cache.make_tmp("compressed weights");
    const std::string hash = znn::hf_content_hash(tmp);
    const auto blob = znn::hf_store_blob(cache.blobs, tmp, link1);

    CHECK(blob == cache.blobs / hash);
    CHECK_FALSE(fs::exists(tmp));
    CHECK(fs::is_symlink(link1));
    CHECK(fs::read_symlink(link1) == fs::path("../../blobs") / hash);  // relative, like HF's
    CHECK(read_text(link1) == "compressed weights");
    CHECK(fs::read_symlink(link2) == fs::path("../../blobs/aaaa"));
    CHECK(read_text(link2) == "original weights");
    CHECK(read_text(old_blob) == "original weights");
    // No temp links left behind.
    CHECK(std::distance(fs::directory_iterator(cache.rev1), fs::directory_iterator()) == 1);
}

TEST_CASE("hf_cache: storing identical content reuses the existing blob") {
    HfCache cache;
    const auto first = znn::hf_store_blob(cache.blobs, cache.make_tmp("same"),
                                          cache.rev1 / "model.safetensors.znn");
    const auto tmp = cache.make_tmp("same");
    const auto second = znn::hf_store_blob(cache.blobs, tmp, cache.rev2 / "model.safetensors.znn");
    CHECK(first == second);
    CHECK_FALSE(fs::exists(tmp));
    CHECK(std::distance(fs::directory_iterator(cache.blobs), fs::directory_iterator()) == 1);
    CHECK(read_text(cache.rev1 / "model.safetensors.znn") == "same");
    CHECK(read_text(cache.rev2 / "model.safetensors.znn") == "same");
}

TEST_CASE("hf_cache: links in nested snapshot folders are relative too") {
    HfCache cache;
    fs::create_directories(cache.rev1 / "sub");
    const auto link = cache.rev1 / "sub" / "model.safetensors.znn";
    const auto blob = znn::hf_store_blob(cache.blobs, cache.make_tmp("nested"), link);
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
    const auto sync = znn::sync_index(index1, znn::IndexPreference::keep_current, false);
    REQUIRE(sync.changed());

    std::string expected = index_text;
    expected.replace(expected.find("model.safetensors"), 17, "model.safetensors.znn");
    CHECK(read_text(index1) == expected);
    CHECK(fs::is_symlink(index1));
    const auto new_blob = fs::canonical(index1);
    CHECK(new_blob.parent_path() == fs::canonical(cache.blobs));
    CHECK(new_blob.filename() != "iiii");
    CHECK(fs::read_symlink(index1).parent_path() == fs::path("../../blobs"));

    CHECK(read_text(old_blob) == index_text);
    CHECK(sync.replaced_blob == fs::canonical(old_blob));  // for --rm to remove once unused
    CHECK(fs::read_symlink(index2) == fs::path("../../blobs/iiii"));
    CHECK_FALSE(znn::sync_index(index2, znn::IndexPreference::keep_current, false).changed());
    CHECK_FALSE(znn::sync_index(index1, znn::IndexPreference::keep_current, false).changed());
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
