// znn index: bring *.index.json weight maps in line with the files present (each entry names
// the file that exists, preferring the uncompressed one), or (--check) only report which are
// not. An index naming a file that exists under neither name is reported too.
#include <cstdio>
#include <filesystem>
#include <system_error>
#include <vector>

#include "commands.hpp"
#include "console.hpp"
#include "walk.hpp"
#include "znn/errors.hpp"
#include "znn/model_dir.hpp"

namespace fs = std::filesystem;

namespace znn::cli {

namespace {

// A folder stands for every index file under it; anything else must itself be an index file
// (sync_index says why not if it is not one).
std::vector<fs::path> indexes_for(const std::string& path) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) return find_index_files(path);
    if (!fs::exists(fs::symlink_status(path, ec))) throw IoError("no such file or folder", path);
    return {fs::path(path)};
}

// Writes stay inside the folder given, or the index file's own folder.
fs::path confine_for(const std::string& path) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) return path;
    const fs::path folder = fs::path(path).parent_path();
    return folder.empty() ? fs::path(".") : folder;
}

std::string join(const std::vector<std::string>& names) {
    std::string text;
    for (const std::string& name : names) text += (text.empty() ? "" : ", ") + name;
    return text;
}

}  // namespace

int run_index(const Options& options) {
    bool failed = false;
    bool out_of_sync = false;
    std::size_t checked = 0;
    std::size_t changed = 0;
    bool missing = false;  // an index names a file that exists under neither name
    for (const std::string& input : options.inputs) {
        try {
            const std::vector<fs::path> indexes = indexes_for(input);
            if (indexes.empty()) print_warning(input, "no index files found");
            for (const fs::path& index : indexes) {
                try {
                    IndexSyncOptions sync_options;
                    sync_options.check_only = options.check_only;
                    sync_options.confine = confine_for(input);
                    const IndexSync sync = sync_index(index, sync_options);
                    ++checked;
                    if (sync.in_sync()) {
                        if (verbosity() >= 2) std::printf("%s: in sync\n", index.c_str());
                        continue;
                    }
                    ++changed;
                    out_of_sync = true;
                    // The report is the command's output, so stdout; -q keeps only the exit code.
                    if (verbosity() > 0 && sync.changed()) {
                        std::printf("%s: %s%s\n", index.c_str(),
                                    options.check_only ? "out of sync: " : "updated: ",
                                    describe_renames(sync).c_str());
                    }
                    if (verbosity() > 0 && !sync.missing.empty())
                        std::printf("%s: names missing files: %s\n", index.c_str(),
                                    join(sync.missing).c_str());
                    if (!sync.missing.empty()) missing = true;
                } catch (const Error& e) {
                    print_error(e.path().empty() ? index.string() : e.path(), e.what());
                    failed = true;
                }
            }
        } catch (const Error& e) {
            print_error(e.path().empty() ? input : e.path(), e.what());
            failed = true;
        } catch (const fs::filesystem_error& e) {
            print_error(input, e.code().message());
            failed = true;
        }
    }
    if (verbosity() >= 2) {
        std::printf("%zu index file%s checked, %zu %s\n", checked, checked == 1 ? "" : "s", changed,
                    options.check_only ? "out of sync" : "updated");
    }
    std::fflush(stdout);
    if (failed) return kExitError;
    if (missing) return kExitError;  // no rewrite can make such an index right
    return options.check_only && out_of_sync ? kExitError : kExitOk;
}

}  // namespace znn::cli
