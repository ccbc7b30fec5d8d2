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

#include "znn/atomic_file.hpp"

namespace znn {

// Index files are small (a few MB for the largest models); anything bigger is not one.
inline constexpr std::uintmax_t kMaxIndexFileSize = 64u << 20;

struct IndexSync {
    std::filesystem::path index_file;
    // Each distinct (old, new) file name changed, in order of first appearance.
    std::vector<std::pair<std::string, std::string>> renamed;
    // Names the index gives (inside its folder) whose file is absent under both names.
    std::vector<std::string> missing;
    // When the index was a link into an HF cache and got a new blob: the blob it linked to
    // before, which may now be unused (see hf_remove_unused_blob). Empty otherwise.
    std::filesystem::path replaced_blob;
    // The index was a symlink leading out of the folder it was synced in: it was replaced by
    // a regular file rather than written through.
    bool replaced_link = false;
    bool changed() const { return !renamed.empty(); }
    bool in_sync() const { return renamed.empty() && missing.empty(); }
};

struct IndexSyncOptions {
    bool check_only = false;  // report, write nothing
    // Writes stay inside this folder (or the index's own Hugging Face cache): a symlinked index
    // leading elsewhere is replaced by a regular file, never written through. Empty: the
    // index's own folder.
    std::filesystem::path confine;
    // Files about to be removed (--rm, once the index names their replacements): they count
    // as absent. None if empty.
    std::function<bool(const std::filesystem::path&)> leaving;
    bool durable = true;  // fsync the new index (and its folder) before returning
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

// Brings one index file in line with the files next to it. The rule: each weight_map value
// names the file that is present, preferring the uncompressed one: "a.safetensors" if it
// exists (and is not leaving), else "a.safetensors.znn" if that exists; a value with neither
// is left alone and listed in `missing`. Names are relative to the index's folder; a value
// that leads out of it (an absolute path or "..") is never renamed nor looked at. Unless
// check_only, writes the file only if something changed, atomically, replacing only the
// changed weight_map values in the original text (see rewrite_weight_map). A symlink into
// the index's own HF cache gets a new blob and is repointed (the old blob is left untouched,
// and named in replaced_blob); any other symlink has its target replaced if that lies inside
// `confine`, else the link itself is replaced by a regular file. Throws FormatError if the
// file is not valid JSON with a weight_map of strings, IoError on I/O failure.
IndexSync sync_index(const std::filesystem::path& index_file, const IndexSyncOptions& options = {});

// --- Hugging Face cache layout.

// If `file` is a symlink under a cache's snapshots/ folder whose resolved target lies in that
// same cache's blobs/ folder, returns that blobs folder (canonical); otherwise nullopt (a link
// into some other cache's blobs/ is not this cache's business). Never throws.
std::optional<std::filesystem::path> hf_blobs_dir(const std::filesystem::path& file) noexcept;

// Files of this size or more, or with a NUL byte in their first 512 bytes (the sample the Hub
// sees on upload), are LFS files on the Hub.
inline constexpr std::uint64_t kHfLfsMinSize = std::uint64_t{10} << 20;
inline constexpr std::size_t kHfBinarySample = 512;

// The name the Hub gives a file's blob: the SHA-256 of its bytes for an LFS file (large or
// binary, see above), else its Git blob id (SHA-1 of "blob <size>\0" and the bytes, as
// `git hash-object` prints it); lower-case hex. Reads the open descriptor with pread from
// offset 0. Throws IoError naming `path`.
std::string hf_blob_name(int fd, const std::string& path);
std::string hf_blob_name(const std::filesystem::path& file);

// Puts `file` (an AtomicFile created in blobs_dir, complete but not committed) into the cache
// as the blob hf_blob_name gives it, then atomically creates or replaces the symlink `link` as
// a RELATIVE symlink to it. An existing blob of that name is reused only if its bytes equal
// the new ones, and replaced otherwise (a damaged blob). Whatever `link` pointed to before is
// left alone. `durable` fsyncs the blob and both folders. Returns the blob path. Throws IoError.
std::filesystem::path hf_store_blob(const std::filesystem::path& blobs_dir, AtomicFile& file,
                                    const std::filesystem::path& link, bool durable);

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
