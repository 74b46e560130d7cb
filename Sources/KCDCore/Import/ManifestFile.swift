import Foundation

/// Writing the manifest `kcdctl import` made: a new file only, unless the admin says `--force`.
public enum ManifestFile {
    /// Writes `text` to `path` (mode 0644: a manifest holds no secret). Without `force` the file must not exist:
    /// the bytes go to an exclusive temporary file that is then hard-linked to `path`, which fails if anything
    /// is there (a file, a directory, a symlink, dangling or not) — no check-then-write race, and no symlink
    /// is followed. With `force`, `AtomicFile` renames it over what is there (a symlink is replaced, not
    /// followed).
    public static func write(_ path: String, _ text: String, force: Bool) throws {
        if force {
            try AtomicFile.write(path, text)
            return
        }
        var temporary = ""
        var fd: Int32 = -1
        for _ in 0..<8 {
            temporary = path + ".tmp-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
            fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
            if fd >= 0 || errno != EEXIST { break }
        }
        guard fd >= 0 else { throw FileError(writing: path, errno: errno) }
        defer { unlink(temporary) }
        var failure = writeAll(fd, Array(text.utf8))
        if failure == nil, fsync(fd) != 0 { failure = errno }
        if close(fd) != 0, failure == nil { failure = errno }
        if failure == nil, link(temporary, path) != 0 { failure = errno }
        if failure == EEXIST {
            throw FileError(
                path: path, what: "manifest",
                description:
                    "\(Printable.escape(path)) exists: refusing to overwrite it (add --force to replace it, or choose another --out)"
            )
        }
        if let failure { throw FileError(writing: path, errno: failure) }
    }
}
