// AtomicFile: a file appears under its name only complete, never over anything without being
// asked, and never through a symlink.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "temp_files.hpp"
#include "znn/atomic_file.hpp"
#include "znn/errors.hpp"

namespace fs = std::filesystem;

namespace {

using znn::test::read_text;
using znn::test::TempDir;
using znn::test::write_text;

void write_fd(int fd, const std::string& text) {
    REQUIRE(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
}

}  // namespace

TEST_CASE("atomic_file: the file appears under its name only when committed") {
    TempDir tmp;
    const fs::path target = tmp.path / "out.znn";
    {
        znn::AtomicFile file(target);
        write_fd(file.fd(), "complete");
        CHECK_FALSE(fs::exists(fs::symlink_status(target)));
        // Where the filesystem has unnamed files, not even a temporary name exists.
        if (file.unnamed()) CHECK(tmp.entries() == 0);
        file.commit(false, true);
    }
    CHECK(read_text(target) == "complete");
    CHECK(tmp.entries() == 1);
}

TEST_CASE("atomic_file: a file never committed leaves nothing behind") {
    TempDir tmp;
    {
        znn::AtomicFile file(tmp.path / "out.znn");
        write_fd(file.fd(), "partial");
    }
    CHECK(tmp.entries() == 0);
}

TEST_CASE("atomic_file: without replace, anything at the target is kept") {
    TempDir tmp;
    const fs::path target = tmp.path / "out";
    write_text(tmp.path / "victim", "victim");
    SECTION("a file") {
        write_text(target, "old");
    }
    SECTION("a symlink") {
        fs::create_symlink("victim", target);
    }
    SECTION("a dangling symlink") {
        fs::create_symlink("nowhere", target);
    }
    const auto before = fs::symlink_status(target).type();
    znn::AtomicFile file(target);
    write_fd(file.fd(), "new");
    CHECK_THROWS_AS(file.commit(false, false), znn::IoError);
    CHECK(fs::symlink_status(target).type() == before);
    CHECK(read_text(tmp.path / "victim") == "victim");
}

TEST_CASE("atomic_file: with replace, a symlink at the target is replaced, not written through") {
    TempDir tmp;
    const fs::path target = tmp.path / "out";
    write_text(tmp.path / "victim", "victim");
    fs::create_symlink("victim", target);
    znn::AtomicFile file(target);
    write_fd(file.fd(), "new");
    file.commit(true, false);
    CHECK_FALSE(fs::is_symlink(target));
    CHECK(read_text(target) == "new");
    CHECK(read_text(tmp.path / "victim") == "victim");
    CHECK(tmp.entries() == 2);  // no temporary name left
}

TEST_CASE("atomic_file: new files get 0666 minus the umask, or the mode asked for") {
    TempDir tmp;
    const mode_t mask = ::umask(027);
    ::umask(mask);
    CHECK(znn::default_file_mode() == (0666 & ~mask));
    {
        znn::AtomicFile file(tmp.path / "plain");
        file.commit(false, false);
    }
    CHECK((fs::status(tmp.path / "plain").permissions() & fs::perms::all) ==
          static_cast<fs::perms>(0666 & ~mask));
    {
        znn::AtomicFile file(tmp.path / "private");
        file.set_mode(0600);
        file.commit(false, false);
    }
    CHECK((fs::status(tmp.path / "private").permissions() & fs::perms::all) ==
          static_cast<fs::perms>(0600));
}

TEST_CASE("atomic_file: copy_metadata takes the source's mode and times") {
    TempDir tmp;
    write_text(tmp.path / "source", "s");
    REQUIRE(::chmod((tmp.path / "source").c_str(), 0640) == 0);
    const struct timespec times[2] = {{1000000000, 5}, {1200000000, 7}};
    REQUIRE(::utimensat(AT_FDCWD, (tmp.path / "source").c_str(), times, 0) == 0);
    struct stat source {};
    REQUIRE(::stat((tmp.path / "source").c_str(), &source) == 0);
    {
        znn::AtomicFile file(tmp.path / "copy");
        write_fd(file.fd(), "copy");
        file.copy_metadata(source);
        file.commit(false, false);
    }
    struct stat copy {};
    REQUIRE(::stat((tmp.path / "copy").c_str(), &copy) == 0);
    CHECK((copy.st_mode & 07777) == 0640);
    CHECK(copy.st_mtim.tv_sec == 1200000000);
    CHECK(copy.st_mtim.tv_nsec == 7);
}

TEST_CASE("atomic_file: replace_symlink swaps a link without leaving a temporary") {
    TempDir tmp;
    write_text(tmp.path / "a", "a");
    write_text(tmp.path / "b", "b");
    fs::create_symlink("a", tmp.path / "link");
    znn::replace_symlink("b", tmp.path / "link");
    CHECK(fs::read_symlink(tmp.path / "link") == "b");
    znn::replace_symlink("a", tmp.path / "new_link");
    CHECK(fs::read_symlink(tmp.path / "new_link") == "a");
    CHECK(tmp.entries() == 4);
}

TEST_CASE("atomic_file: a folder that cannot be written names the target in the error") {
    TempDir tmp;
    const fs::path target = tmp.path / "missing" / "out.znn";
    try {
        znn::AtomicFile file(target);
        FAIL("created a file in a folder that does not exist");
    } catch (const znn::IoError& e) {
        CHECK(e.path() == target.string());
    }
}
