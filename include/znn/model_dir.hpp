// Model folders: keeping Hugging Face index files (*.index.json) pointing at the files that
// actually exist after compression, and writing into the Hugging Face cache layout
// (models--org--name/{blobs/<hash>, snapshots/<rev>/<file> -> ../../blobs/<hash>}) without ever
// modifying a blob that other revisions may share.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace znn {

// Index files are small (a few MB for the largest models); anything bigger is not one.
inline constexpr std::uintmax_t kMaxIndexFileSize = 64u << 20;

// Which name an index entry should prefer when both "x" and "x.znn" exist.
enum class IndexPreference { keep_current, compressed, original };

struct IndexSync {
    std::filesystem::path index_file;
    // Each distinct (old, new) file name changed, in order of first appearance.
    std::vector<std::pair<std::string, std::string>> renamed;
    // When the index was a link into an HF cache and got a new blob: the blob it linked to
    // before, which may now be unused (see hf_remove_unused_blob). Empty otherwise.
    std::filesystem::path replaced_blob;
    bool changed() const { return !renamed.empty(); }
};

// True if the file's name ends in ".index.json" (model.safetensors.index.json,
// pytorch_model.bin.index.json, ...) and it holds a JSON object with a "weight_map" object.
// Symlinks are followed. Never throws: unreadable, oversized or non-JSON files give false.
bool is_index_file(const std::filesystem::path& file) noexcept;

// All index files under dir (recursive, does not follow directory symlinks), sorted.
// Throws IoError if dir cannot be listed.
std::vector<std::filesystem::path> find_index_files(const std::filesystem::path& dir);

// An index file's text with its weight_map values renamed, and nothing else changed: every
// other byte (key order, spacing, line endings, escapes) is kept, so renaming there and back
// restores the text exactly. rename(name) is asked once per distinct value and returns the
// new name (or the same one); it may only add or drop the ".znn" suffix. Throws FormatError
// if the text is not valid JSON with a weight_map object of strings.
struct WeightMapRewrite {
    std::string text;
    std::vector<std::pair<std::string, std::string>> renamed;  // (old, new), first seen first
};
WeightMapRewrite rewrite_weight_map(std::string_view text,
                                    const std::function<std::string(const std::string&)>& rename);

// Brings one index file in sync with the files next to it: every weight_map value names a file
// (relative to the index's folder) that exists. A value "a.safetensors" whose file is missing but
// "a.safetensors.znn" exists becomes "a.safetensors.znn", and the other way round. When both
// exist, `prefer` decides (keep_current: no change). Values whose candidates are all missing are
// left alone. Unless check_only, writes the file only if something changed, atomically, replacing
// only the changed weight_map values in the original text: every other byte (key order, spacing,
// line endings, escapes) is kept, so renaming there and back restores the file exactly. A symlink
// into an HF cache gets a new blob and is repointed (the old blob is left untouched, and named
// in replaced_blob); any other symlink has its target replaced. Throws FormatError if the file is
// not valid JSON with a weight_map of strings, IoError on I/O failure.
IndexSync sync_index(const std::filesystem::path& index_file, IndexPreference prefer,
                     bool check_only);

// --- Hugging Face cache layout.

// If `file` is a symlink whose resolved target lies in a folder named "blobs" whose parent also
// has "snapshots", returns that blobs folder (canonical); otherwise nullopt. Never throws.
std::optional<std::filesystem::path> hf_blobs_dir(const std::filesystem::path& file) noexcept;

// XXH3-128 of a file's content as 32 lower-case hex digits (the name znn gives new blobs).
// Throws IoError if the file cannot be read.
std::string hf_content_hash(const std::filesystem::path& file);

// Moves the finished file `tmp` (complete on disk, same filesystem) into the cache as a new blob
// named by hf_content_hash (an existing blob of that name and size is reused and tmp deleted),
// then atomically creates or replaces the symlink `link` as a RELATIVE symlink to it. Whatever
// `link` pointed to before is left alone. Returns the blob path. Throws IoError.
std::filesystem::path hf_store_blob(const std::filesystem::path& blobs_dir,
                                    const std::filesystem::path& tmp,
                                    const std::filesystem::path& link);

// True if any symlink under the cache root's snapshots/ folder (the root being the parent of
// blobs_dir), other than `except` (empty: none excepted), resolves to `blob`.
bool hf_blob_shared(const std::filesystem::path& blobs_dir, const std::filesystem::path& blob,
                    const std::filesystem::path& except);

// Removes `blob` unless a symlink under the cache's snapshots/ still resolves to it, as
// hf_remove_link does for the blob of the link it removes. Returns whether it was removed.
// Throws IoError.
bool hf_remove_unused_blob(const std::filesystem::path& blobs_dir,
                           const std::filesystem::path& blob);

// Removes the symlink `link`, and its blob too when no other link under the cache references it.
// A path that is not a symlink into an HF cache is simply removed. Throws IoError.
void hf_remove_link(const std::filesystem::path& link);

}  // namespace znn
