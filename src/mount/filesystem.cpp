// The FUSE requests of a read-only mount. Decoded files are served from the Reader's chunks
// without a copy (fuse_reply_iov over the decoded bytes); plain files by splicing from their
// descriptor. Everything is read-only and the source must not change, so the kernel may keep
// attributes, names and pages as long as it likes.
#include "mount/filesystem.hpp"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "mount/read_ahead_knob.hpp"
#include "znn/errors.hpp"

namespace znn::mount {

namespace {

// Seconds the kernel may trust names and attributes: the source does not change.
constexpr double kTimeout = 86400.0;

Filesystem& fs_of(fuse_req_t req) {
    return *static_cast<Filesystem*>(fuse_req_userdata(req));
}

// An open file: what read() needs, found through fi->fh.
struct OpenFile {
    std::shared_ptr<const Node> node;
    std::shared_ptr<Reader> reader;  // decoded files
    int fd = -1;                     // plain files
    ~OpenFile() {
        if (fd >= 0) ::close(fd);
    }
};

OpenFile& open_file(const fuse_file_info* fi) {
    return *reinterpret_cast<OpenFile*>(static_cast<std::uintptr_t>(fi->fh));
}

// Runs a handler, turning what it throws into an error reply (and a report for the log).
template <class Handler>
void guarded(fuse_req_t req, Handler&& handler) {
    try {
        handler();
    } catch (const FormatError& e) {
        fs_of(req).log.report_once(e.path(), e.what());
        fuse_reply_err(req, EIO);
    } catch (const Error& e) {
        fs_of(req).log.report(e.path(), e.what());
        fuse_reply_err(req, EIO);
    } catch (const std::bad_alloc&) {
        fuse_reply_err(req, ENOMEM);
    } catch (const std::exception& e) {
        fs_of(req).log.report("", e.what());
        fuse_reply_err(req, EIO);
    }
}

void on_init(void*, fuse_conn_info* conn) {
    // Plain files are spliced from their descriptor to the kernel without a copy.
    for (const unsigned cap : {FUSE_CAP_SPLICE_WRITE, FUSE_CAP_SPLICE_MOVE, FUSE_CAP_CACHE_SYMLINKS,
                               FUSE_CAP_PARALLEL_DIROPS})
        if (conn->capable & cap) conn->want |= cap;
    // Nothing ever changes: no need to check cached pages against attributes.
    conn->want &= ~FUSE_CAP_AUTO_INVAL_DATA;
}

void on_lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
    fs_of(req).tune_once();
    guarded(req, [&] {
        fuse_entry_param e{};
        e.attr_timeout = kTimeout;
        e.entry_timeout = kTimeout;  // for a missing name too: the kernel remembers it
        if (const auto node = fs_of(req).view.lookup(parent, name)) {
            e.ino = node->ino;
            e.generation = 1;
            e.attr = node->entry.st;
        }
        fuse_reply_entry(req, &e);
    });
}

void on_getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
    fs_of(req).tune_once();
    guarded(req, [&] {
        const auto node = fs_of(req).view.node(ino);
        if (!node) return (void)fuse_reply_err(req, ENOENT);
        fuse_reply_attr(req, &node->entry.st, kTimeout);
    });
}

void on_readlink(fuse_req_t req, fuse_ino_t ino) {
    guarded(req, [&] {
        const auto node = fs_of(req).view.node(ino);
        if (!node || node->entry.kind != EntryKind::symlink)
            return (void)fuse_reply_err(req, EINVAL);
        fuse_reply_readlink(req, node->entry.link_target.c_str());
    });
}

void on_opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    guarded(req, [&] {
        const auto node = fs_of(req).view.node(ino);
        if (!node) return (void)fuse_reply_err(req, ENOENT);
        if (node->entry.kind != EntryKind::directory) return (void)fuse_reply_err(req, ENOTDIR);
        fi->cache_readdir = 1;
        fi->keep_cache = 1;
        fuse_reply_open(req, fi);
    });
}

void on_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info*) {
    guarded(req, [&] {
        Filesystem& fs = fs_of(req);
        const auto children = fs.view.children(ino);
        const auto self = fs.view.node(ino);
        std::vector<char> buffer(size);
        std::size_t used = 0;
        // Offsets: 1 and 2 after "." and "..", then 3 + the child's index.
        const auto total = static_cast<off_t>(children->size()) + 2;
        for (off_t i = off; i < total; ++i) {
            struct stat st {};
            const char* name = nullptr;
            if (i < 2) {
                name = i == 0 ? "." : "..";
                st.st_ino = !self ? 0 : i == 0 ? self->ino : self->parent;
                st.st_mode = S_IFDIR;
            } else {
                const Child& c = (*children)[static_cast<std::size_t>(i - 2)];
                name = c.name.c_str();
                st.st_ino = c.ino;
                st.st_mode = c.mode;
            }
            const std::size_t need =
                fuse_add_direntry(req, buffer.data() + used, size - used, name, &st, i + 1);
            if (need > size - used) break;
            used += need;
        }
        fuse_reply_buf(req, buffer.data(), used);
    });
}

void on_releasedir(fuse_req_t req, fuse_ino_t, fuse_file_info*) {
    fuse_reply_err(req, 0);
}

void on_open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    guarded(req, [&] {
        Filesystem& fs = fs_of(req);
        const auto node = fs.view.node(ino);
        if (!node) return (void)fuse_reply_err(req, ENOENT);
        if (node->entry.kind == EntryKind::directory) return (void)fuse_reply_err(req, EISDIR);
        if ((fi->flags & O_ACCMODE) != O_RDONLY) return (void)fuse_reply_err(req, EROFS);
        auto file = std::make_unique<OpenFile>();
        file->node = node;
        if (node->entry.kind == EntryKind::znn_file) {
            file->reader = fs.reader_for(*node);
        } else if (node->entry.kind == EntryKind::plain_file) {
            file->fd = ::open(node->entry.source.c_str(), O_RDONLY | O_CLOEXEC);
            if (file->fd < 0) return (void)fuse_reply_err(req, errno);
        }
        fi->fh = reinterpret_cast<std::uintptr_t>(file.get());
        fi->keep_cache = 1;  // pages read once stay valid: the content never changes
        if (fuse_reply_open(req, fi) == 0) (void)file.release();
    });
}

void reply_decoded(fuse_req_t req, Reader& reader, size_t size, off_t off) {
    const auto pieces = reader.read_pieces(static_cast<std::uint64_t>(off), size);
    std::vector<iovec> iov(pieces.size());
    for (std::size_t i = 0; i < pieces.size(); ++i)
        iov[i] = {const_cast<std::uint8_t*>(pieces[i].bytes.data()), pieces[i].bytes.size()};
    fuse_reply_iov(req, iov.data(), static_cast<int>(iov.size()));  // pieces held till sent
}

void on_read(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
    guarded(req, [&] {
        OpenFile& file = open_file(fi);
        switch (file.node->entry.kind) {
            case EntryKind::znn_file:
                return reply_decoded(req, *file.reader, size, off);
            case EntryKind::index_file: {
                const std::string& text = *file.node->entry.text;
                const auto at = std::min(static_cast<std::size_t>(off), text.size());
                return (void)fuse_reply_buf(req, text.data() + at,
                                            std::min(size, text.size() - at));
            }
            default: {
                fuse_bufvec buf = FUSE_BUFVEC_INIT(size);
                buf.buf[0].flags = static_cast<fuse_buf_flags>(FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK);
                buf.buf[0].fd = file.fd;
                buf.buf[0].pos = off;
                return (void)fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
            }
        }
    });
}

void on_release(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
    delete &open_file(fi);
    fuse_reply_err(req, 0);
}

void on_statfs(fuse_req_t req, fuse_ino_t) {
    guarded(req, [&] {
        struct statvfs st {};
        const auto root = fs_of(req).view.node(View::kRootIno);
        if (!root) return (void)fuse_reply_err(req, EIO);
        if (::statvfs(root->entry.source.c_str(), &st) != 0)
            return (void)fuse_reply_err(req, errno);
        fuse_reply_statfs(req, &st);
    });
}

}  // namespace

void Filesystem::tune_once() {
    std::call_once(tuned_, [this] { raise_read_ahead(mountpoint); });
}

std::shared_ptr<Reader> Filesystem::reader_for(const Node& node) {
    {
        const std::lock_guard lock(readers_mutex_);
        if (auto held = readers_[node.ino].lock()) return held;
    }
    ReaderOptions options;
    options.cache = cache;
    options.base = base;
    auto made = std::make_shared<Reader>(node.entry.source, options);
    const std::lock_guard lock(readers_mutex_);
    if (auto held = readers_[node.ino].lock()) return held;  // another open was quicker
    readers_[node.ino] = made;
    return made;
}

const fuse_lowlevel_ops& filesystem_operations() {
    static const fuse_lowlevel_ops ops = [] {
        fuse_lowlevel_ops o{};
        o.init = on_init;
        o.lookup = on_lookup;
        o.getattr = on_getattr;
        o.readlink = on_readlink;
        o.opendir = on_opendir;
        o.readdir = on_readdir;
        o.releasedir = on_releasedir;
        o.open = on_open;
        o.read = on_read;
        o.release = on_release;
        o.statfs = on_statfs;
        return o;
    }();
    return ops;
}

}  // namespace znn::mount
