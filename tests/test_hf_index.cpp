// Index files: weight_map names follow the shards on disk, and nothing else in the file moves.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "temp_files.hpp"
#include "znn/errors.hpp"
#include "znn/model_dir.hpp"

namespace fs = std::filesystem;

namespace {

// One scratch folder per test.
struct TempDir : znn::test::TempDir {
    TempDir() : znn::test::TempDir("znn-test-hf-index") {}
};

using znn::test::read_text;
using znn::test::write_text;

// Key order deliberately not sorted, to prove the rewrite keeps it.
const std::string kOriginal = R"json({
  "metadata": {
    "total_size": 123456
  },
  "weight_map": {
    "model.layers.0.mlp.weight": "model-00002-of-00002.safetensors",
    "lm_head.weight": "model-00002-of-00002.safetensors",
    "model.embed_tokens.weight": "model-00001-of-00002.safetensors"
  }
}
)json";

const std::string kCompressed = R"json({
  "metadata": {
    "total_size": 123456
  },
  "weight_map": {
    "model.layers.0.mlp.weight": "model-00002-of-00002.safetensors.znn",
    "lm_head.weight": "model-00002-of-00002.safetensors.znn",
    "model.embed_tokens.weight": "model-00001-of-00002.safetensors.znn"
  }
}
)json";

constexpr const char* kShard1 = "model-00001-of-00002.safetensors";
constexpr const char* kShard2 = "model-00002-of-00002.safetensors";

// A model folder holding the index and the given shard files.
fs::path make_model(const TempDir& tmp, const std::string& index_text,
                    std::initializer_list<std::string> shards) {
    const fs::path index = tmp.path / "model.safetensors.index.json";
    write_text(index, index_text);
    for (const auto& shard : shards) write_text(tmp.path / shard, "x");
    return index;
}

const std::string kZ1 = std::string(kShard1) + ".znn";
const std::string kZ2 = std::string(kShard2) + ".znn";

znn::IndexSyncOptions check_only() {
    znn::IndexSyncOptions options;
    options.check_only = true;
    return options;
}

}  // namespace

TEST_CASE("hf_index: rewrites weight_map to .znn names") {
    TempDir tmp;
    const auto index = make_model(tmp, kOriginal, {kZ1, kZ2});
    const auto sync = znn::sync_index(index);
    CHECK(sync.index_file == index);
    REQUIRE(sync.changed());
    // Distinct names, in the order they first appear.
    REQUIRE(sync.renamed.size() == 2);
    CHECK(sync.renamed[0] == std::pair<std::string, std::string>(kShard2, kZ2));
    CHECK(sync.renamed[1] == std::pair<std::string, std::string>(kShard1, kZ1));
    // Full text: key order, 2-space indentation and trailing newline all kept.
    CHECK(read_text(index) == kCompressed);
    // No temp files left behind.
    CHECK(std::distance(fs::directory_iterator(tmp.path), fs::directory_iterator()) == 3);
}

TEST_CASE("hf_index: rewrites .znn names back to the originals byte for byte") {
    TempDir tmp;
    const auto index = make_model(tmp, kCompressed, {kShard1, kShard2});
    const auto sync = znn::sync_index(index);
    CHECK(sync.renamed.size() == 2);
    CHECK(read_text(index) == kOriginal);
}

TEST_CASE("hf_index: a second sync changes nothing") {
    TempDir tmp;
    const auto index = make_model(tmp, kOriginal, {kZ1, kZ2});
    REQUIRE(znn::sync_index(index).changed());
    const auto before = fs::last_write_time(index);
    CHECK_FALSE(znn::sync_index(index).changed());
    CHECK(znn::sync_index(index).in_sync());
    CHECK(read_text(index) == kCompressed);
    CHECK(fs::last_write_time(index) == before);
}

TEST_CASE("hf_index: when both names exist the index names the uncompressed files") {
    TempDir tmp;
    const auto index = make_model(tmp, kOriginal, {kShard1, kShard2, kZ1, kZ2});
    CHECK_FALSE(znn::sync_index(index).changed());
    CHECK(read_text(index) == kOriginal);

    // A loader must never be sent to a .znn file while the original is there.
    write_text(index, kCompressed);
    CHECK(znn::sync_index(index, check_only()).renamed.size() == 2);
    CHECK(znn::sync_index(index).renamed.size() == 2);
    CHECK(read_text(index) == kOriginal);
}

TEST_CASE("hf_index: files about to be removed count as absent") {
    TempDir tmp;
    const auto index = make_model(tmp, kOriginal, {kShard1, kShard2, kZ1, kZ2});
    znn::IndexSyncOptions options;
    options.leaving = [&](const fs::path& file) { return file == tmp.path / kShard1; };
    const auto sync = znn::sync_index(index, options);
    REQUIRE(sync.renamed.size() == 1);
    CHECK(sync.renamed[0] == std::pair<std::string, std::string>(kShard1, kZ1));
    CHECK(read_text(index).find("\"" + kZ1 + "\"") != std::string::npos);
    CHECK(read_text(index).find(kZ2) == std::string::npos);
}

TEST_CASE("hf_index: check_only reports changes but writes nothing") {
    TempDir tmp;
    const auto index = make_model(tmp, kOriginal, {kZ1, kZ2});
    const auto before = fs::last_write_time(index);
    const auto sync = znn::sync_index(index, check_only());
    CHECK(sync.renamed.size() == 2);
    CHECK(read_text(index) == kOriginal);
    CHECK(fs::last_write_time(index) == before);
    CHECK(std::distance(fs::directory_iterator(tmp.path), fs::directory_iterator()) == 3);
}

TEST_CASE("hf_index: entries with no file on disk are left alone") {
    TempDir tmp;
    // Shard 1 compressed, shard 2 missing under both names.
    const auto index = make_model(tmp, kOriginal, {kZ1});
    const auto sync = znn::sync_index(index);
    REQUIRE(sync.renamed.size() == 1);
    CHECK(sync.renamed[0].first == kShard1);
    CHECK(sync.missing == std::vector<std::string>{kShard2});
    CHECK_FALSE(sync.in_sync());
    const std::string text = read_text(index);
    CHECK(text.find("\"" + kZ1 + "\"") != std::string::npos);
    CHECK(text.find("\"" + std::string(kShard2) + "\"") != std::string::npos);
    CHECK(text.find(kZ2) == std::string::npos);
}

TEST_CASE("hf_index: shards in a subfolder are found relative to the index") {
    TempDir tmp;
    fs::create_directories(tmp.path / "shards");
    write_text(tmp.path / "shards" / "a.safetensors.znn", "x");
    const auto index = tmp.path / "model.safetensors.index.json";
    write_text(index, R"({"weight_map": {"w": "shards/a.safetensors"}})");
    CHECK(znn::sync_index(index).changed());
    CHECK(read_text(index) == R"({"weight_map": {"w": "shards/a.safetensors.znn"}})");
}

TEST_CASE("hf_index: other indentation styles are kept") {
    TempDir tmp;
    const std::string four = "{\n    \"weight_map\": {\n        \"w\": \"a.bin\"\n    }\n}";
    const std::string tabs = "{\r\n\t\"weight_map\": {\r\n\t\t\"w\": \"a.bin\"\r\n\t}\r\n}\r\n";
    const std::string compact = R"({"weight_map":{"w":"a.bin"},"v":[1,2]})";
    const std::string spaced = "{\"weight_map\": {\"w\": \"a.bin\"}, \"v\": [1, 2]}\n";
    const auto index = tmp.path / "pytorch_model.bin.index.json";
    write_text(tmp.path / "a.bin.znn", "x");
    for (const auto& text : {four, tabs, compact, spaced}) {
        write_text(index, text);
        REQUIRE(znn::sync_index(index).changed());
        std::string expected = text;
        expected.replace(expected.find("a.bin"), 5, "a.bin.znn");
        CHECK(read_text(index) == expected);
    }
}

TEST_CASE("hf_index: non-ASCII text stays as written") {
    TempDir tmp;
    write_text(tmp.path / "a.bin.znn", "x");
    const auto index = tmp.path / "x.index.json";
    const std::string escaped =
        "{\n  \"note\": \"caf\\u00e9\",\n  \"weight_map\": {\"w\": \"a.bin\"}\n}\n";
    const std::string raw =
        "{\n  \"note\": \"caf\xc3\xa9\",\n  \"weight_map\": {\"w\": \"a.bin\"}\n}\n";
    write_text(index, escaped);
    REQUIRE(znn::sync_index(index).changed());
    CHECK(read_text(index).find("caf\\u00e9") != std::string::npos);
    write_text(index, raw);
    REQUIRE(znn::sync_index(index).changed());
    CHECK(read_text(index).find("caf\xc3\xa9") != std::string::npos);
}

TEST_CASE("hf_index: is_index_file accepts only *.index.json with a weight_map object") {
    TempDir tmp;
    const auto good = make_model(tmp, kOriginal, {});
    CHECK(znn::is_index_file(good));

    const auto check = [&](const std::string& name, const std::string& text) {
        write_text(tmp.path / name, text);
        return znn::is_index_file(tmp.path / name);
    };
    CHECK_FALSE(check("config.index.json", R"({"architectures": ["LlamaForCausalLM"]})"));
    CHECK_FALSE(check("list.index.json", R"([{"weight_map": {}}])"));
    CHECK_FALSE(check("array_map.index.json", R"({"weight_map": ["a"]})"));
    CHECK_FALSE(check("broken.index.json", R"({"weight_map": {"w": "a.bin")"));
    CHECK_FALSE(check("binary.index.json", std::string("\0\1\2\xff", 4)));
    CHECK_FALSE(check("empty.index.json", ""));
    CHECK_FALSE(check("config.json", kOriginal));  // right content, wrong name
    CHECK(check("pytorch_model.bin.index.json", R"({"weight_map": {}})"));
    CHECK_FALSE(znn::is_index_file(tmp.path / "missing.index.json"));
    fs::create_directories(tmp.path / "dir.index.json");
    CHECK_FALSE(znn::is_index_file(tmp.path / "dir.index.json"));
}

TEST_CASE("hf_index: sync_index rejects files that are not index files") {
    TempDir tmp;
    const auto file = tmp.path / "model.safetensors.index.json";
    write_text(file, "not json");
    CHECK_THROWS_AS(znn::sync_index(file, check_only()), znn::FormatError);
    write_text(file, R"({"metadata": {}})");
    CHECK_THROWS_AS(znn::sync_index(file, check_only()), znn::FormatError);
    write_text(file, R"({"weight_map": {"w": 7}})");
    CHECK_THROWS_AS(znn::sync_index(file, check_only()), znn::FormatError);
    CHECK_THROWS_AS(znn::sync_index(tmp.path / "missing.index.json", check_only()), znn::IoError);
    // A FIFO must be rejected, not block the reader.
    const auto fifo = tmp.path / "fifo.index.json";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    CHECK_FALSE(znn::is_index_file(fifo));
    CHECK_THROWS_AS(znn::sync_index(fifo, check_only()), znn::FormatError);
}

TEST_CASE("hf_index: find_index_files recurses, sorts and skips directory symlinks") {
    TempDir tmp;
    fs::create_directories(tmp.path / "b" / "deep");
    fs::create_directories(tmp.path / "a");
    const std::string index = R"({"weight_map": {}})";
    write_text(tmp.path / "b" / "deep" / "model.safetensors.index.json", index);
    write_text(tmp.path / "a" / "pytorch_model.bin.index.json", index);
    write_text(tmp.path / "model.safetensors.index.json", index);
    write_text(tmp.path / "a" / "config.json", index);
    write_text(tmp.path / "a" / "other.index.json", "{}");
    fs::create_directory_symlink("b", tmp.path / "link_to_b");
    fs::create_symlink("model.safetensors.index.json", tmp.path / "linked.index.json");

    const std::vector<fs::path> expected = {
        tmp.path / "a" / "pytorch_model.bin.index.json",
        tmp.path / "b" / "deep" / "model.safetensors.index.json",
        tmp.path / "linked.index.json",  // a file symlink is still an index (as in HF snapshots)
        tmp.path / "model.safetensors.index.json",
    };
    CHECK(znn::find_index_files(tmp.path) == expected);
    CHECK_THROWS_AS(znn::find_index_files(tmp.path / "missing"), znn::IoError);
}

TEST_CASE("hf_index: a plain symlinked index has its target rewritten, the link kept") {
    TempDir tmp;
    fs::create_directories(tmp.path / "store");
    write_text(tmp.path / "store" / "real.index.json", kOriginal);
    fs::create_symlink("store/real.index.json", tmp.path / "model.safetensors.index.json");
    write_text(tmp.path / kZ1, "x");
    write_text(tmp.path / kZ2, "x");
    const auto link = tmp.path / "model.safetensors.index.json";
    REQUIRE(znn::sync_index(link).changed());
    CHECK(fs::is_symlink(link));
    CHECK(read_text(tmp.path / "store" / "real.index.json") == kCompressed);
}

TEST_CASE("hf_index: an index linked out of the folder is replaced, never written through") {
    TempDir tmp;
    fs::create_directories(tmp.path / "outside");
    fs::create_directories(tmp.path / "model");
    const auto victim = tmp.path / "outside" / "victim.index.json";
    write_text(victim, kOriginal);
    const auto link = tmp.path / "model" / "model.safetensors.index.json";
    fs::create_symlink("../outside/victim.index.json", link);
    write_text(tmp.path / "model" / kZ1, "x");
    write_text(tmp.path / "model" / kZ2, "x");
    const auto sync = znn::sync_index(link);
    REQUIRE(sync.changed());
    CHECK(sync.replaced_link);
    CHECK(read_text(victim) == kOriginal);
    CHECK_FALSE(fs::is_symlink(link));
    CHECK(read_text(link) == kCompressed);
    // A wider folder that holds the target allows writing it (the user's own link).
    fs::remove(link);
    fs::create_symlink("../outside/victim.index.json", link);
    znn::IndexSyncOptions options;
    options.confine = tmp.path;
    CHECK_FALSE(znn::sync_index(link, options).replaced_link);
    CHECK(fs::is_symlink(link));
    CHECK(read_text(victim) == kCompressed);
}

TEST_CASE("hf_index: names leading out of the folder are never renamed nor looked at") {
    TempDir tmp;
    fs::create_directories(tmp.path / "outside");
    fs::create_directories(tmp.path / "model" / "sub");
    write_text(tmp.path / "outside" / "x.safetensors.znn", "x");
    write_text(tmp.path / "model" / "sub" / "y.safetensors.znn", "x");
    const std::string abs = (tmp.path / "outside" / "x.safetensors").string();
    const std::string text = "{\"weight_map\": {\"a\": \"../outside/x.safetensors\", \"b\": \"" +
                             abs +
                             "\", \"c\": \"sub/../../outside/x.safetensors\", "
                             "\"d\": \"sub/y.safetensors\"}}";
    const auto index = tmp.path / "model" / "model.safetensors.index.json";
    write_text(index, text);
    const auto sync = znn::sync_index(index);
    REQUIRE(sync.renamed.size() == 1);
    CHECK(sync.renamed[0].first == "sub/y.safetensors");
    CHECK(sync.missing.empty());
    std::string expected = text;
    expected.replace(expected.find("sub/y.safetensors"), 17, "sub/y.safetensors.znn");
    CHECK(read_text(index) == expected);
}

TEST_CASE("hf_index: nested metadata and thousands of entries keep their order and values") {
    TempDir tmp;
    // Metadata of every JSON type, nested arrays of objects included, then a weight_map
    // far larger than a quadratic parser could handle quickly.
    std::string original =
        "{\n  \"metadata\": {\n    \"list\": [\n      {\n        \"b\": 1,\n        \"a\": [\n"
        "          true,\n          null,\n          -2,\n          1.5\n        ]\n      },\n"
        "      \"s\"\n    ]\n  },\n  \"weight_map\": {\n";
    std::string compressed = original;
    constexpr int kEntries = 5000;
    for (int i = kEntries; i-- > 0;) {  // descending names: sorting would show
        const std::string shard = i % 2 == 0 ? kShard1 : kShard2;
        const std::string sep = i == 0 ? "\n" : ",\n";
        original += "    \"t" + std::to_string(i) + "\": \"" + shard + "\"" + sep;
        compressed += "    \"t" + std::to_string(i) + "\": \"" + shard + ".znn\"" + sep;
    }
    original += "  }\n}\n";
    compressed += "  }\n}\n";
    const auto index = make_model(tmp, original, {kZ1, kZ2});
    CHECK(znn::is_index_file(index));
    const auto sync = znn::sync_index(index);
    CHECK(sync.renamed.size() == 2);
    CHECK(read_text(index) == compressed);
}

TEST_CASE("hf_index: a rewrite replaces only the renamed values, every other byte kept") {
    TempDir tmp;
    // Formatting no serialiser would reproduce: a BOM, CRLF and LF mixed, tabs, no space after
    // some colons, 1.50 and 1e3 spellings, escapes in keys and values (\/, \", \u), look-alike
    // braces and a "weight_map" inside strings, a repeated entry, no final newline.
    const std::string original =
        "\xEF\xBB\xBF{ \"metadata\": {\"total_size\": 1, \"ratio\": 1.50, \"big\": 1e3,"
        " \"note\": \"{\\\"weight_map\\\": {\\\"x\\\": \\\"a.bin\\\"}}\"},\r\n"
        "\t\"weight_map\":{\"a\":\"a.bin\",  \"b\" :  \"sub\\/b.bin\" ,\r\n"
        "   \"we{ird\\\"}key\": \"q\\\"uote.bin\", \"e\": \"\\u0061.bin\",\n"
        "\"a2\":\"a.bin\", \"gone\": \"missing.bin\", \"caf\\u00e9\": \"caf\xc3\xa9.bin\"},"
        " \"after\": [1, {\"weight_map\": \"a.bin\"}] }";
    // Each renamed value gains ".znn" before its closing quote, and nothing else changes.
    const std::string compressed =
        "\xEF\xBB\xBF{ \"metadata\": {\"total_size\": 1, \"ratio\": 1.50, \"big\": 1e3,"
        " \"note\": \"{\\\"weight_map\\\": {\\\"x\\\": \\\"a.bin\\\"}}\"},\r\n"
        "\t\"weight_map\":{\"a\":\"a.bin.znn\",  \"b\" :  \"sub\\/b.bin.znn\" ,\r\n"
        "   \"we{ird\\\"}key\": \"q\\\"uote.bin.znn\", \"e\": \"\\u0061.bin.znn\",\n"
        "\"a2\":\"a.bin.znn\", \"gone\": \"missing.bin\", \"caf\\u00e9\": \"caf\xc3\xa9.bin.znn\"},"
        " \"after\": [1, {\"weight_map\": \"a.bin\"}] }";
    fs::create_directories(tmp.path / "sub");
    for (const std::string name :
         {"a.bin.znn", "sub/b.bin.znn", "q\"uote.bin.znn", "caf\xc3\xa9.bin.znn"})
        write_text(tmp.path / name, "x");
    const auto index = tmp.path / "model.safetensors.index.json";
    write_text(index, original);
    REQUIRE(znn::is_index_file(index));

    const auto sync = znn::sync_index(index);
    // Distinct names: a.bin (also spelled \u0061.bin), sub/b.bin, q"uote.bin, caf\u00e9.bin.
    CHECK(sync.renamed.size() == 4);
    CHECK(sync.replaced_blob.empty());
    CHECK(read_text(index) == compressed);

    // And back: the original bytes exactly.
    for (const std::string name : {"a.bin", "sub/b.bin", "q\"uote.bin", "caf\xc3\xa9.bin"})
        write_text(tmp.path / name, "x");
    CHECK(znn::sync_index(index).renamed.size() == 4);
    CHECK(read_text(index) == original);
}

TEST_CASE("hf_index: an escaped .znn suffix is rewritten as a whole name") {
    TempDir tmp;
    write_text(tmp.path / "a.bin", "x");
    const auto index = tmp.path / "x.index.json";
    write_text(index, "{\"weight_map\": {\"w\": \"a.bin.zn\\u006e\"}, \"v\": 2}\n");
    const auto sync = znn::sync_index(index);
    REQUIRE(sync.renamed.size() == 1);
    CHECK(sync.renamed[0] == std::pair<std::string, std::string>("a.bin.znn", "a.bin"));
    CHECK(read_text(index) == "{\"weight_map\": {\"w\": \"a.bin\"}, \"v\": 2}\n");
}

TEST_CASE("hf_index: a repeated weight_map key: the first one is the map") {
    TempDir tmp;
    write_text(tmp.path / "a.bin.znn", "x");
    write_text(tmp.path / "b.bin.znn", "x");
    const auto index = tmp.path / "x.index.json";
    write_text(index, R"({"weight_map": {"w": "a.bin"}, "weight_map": {"w": "b.bin"}})");
    CHECK(znn::sync_index(index).renamed.size() == 1);
    CHECK(read_text(index) ==
          R"({"weight_map": {"w": "a.bin.znn"}, "weight_map": {"w": "b.bin"}})");
    write_text(index, R"({"weight_map": 1, "weight_map": {"w": "b.bin"}})");
    CHECK_FALSE(znn::is_index_file(index));
}
