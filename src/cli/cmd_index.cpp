// znn index: bring *.index.json weight maps in sync with the files present, or (--check) only
// report which are out of sync. Nothing is renamed when both a file and its .znn exist.
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
    if (!fs::exists(path, ec)) throw IoError("no such file or folder", path);
    return {fs::path(path)};
}

}  // namespace

int run_index(const Options& options) {
    bool failed = false;
    bool out_of_sync = false;
    std::size_t checked = 0;
    std::size_t changed = 0;
    for (const std::string& input : options.inputs) {
        try {
            const std::vector<fs::path> indexes = indexes_for(input);
            if (indexes.empty()) print_warning(input, "no index files found");
            for (const fs::path& index : indexes) {
                try {
                    const IndexSync sync =
                        sync_index(index, IndexPreference::keep_current, options.check_only);
                    ++checked;
                    if (!sync.changed()) {
                        if (verbosity() >= 2) std::printf("%s: in sync\n", index.c_str());
                        continue;
                    }
                    ++changed;
                    out_of_sync = true;
                    // The report is the command's output, so stdout; -q keeps only the exit code.
                    if (verbosity() > 0) {
                        std::printf("%s: %s%s\n", index.c_str(),
                                    options.check_only ? "out of sync: " : "updated: ",
                                    describe_renames(sync).c_str());
                    }
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
    return options.check_only && out_of_sync ? kExitError : kExitOk;
}

}  // namespace znn::cli
