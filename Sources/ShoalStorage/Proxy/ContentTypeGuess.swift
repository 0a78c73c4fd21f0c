import ShoalCore

/// The Content-Type Swift's proxy gives an object PUT without one: guessed from the name's
/// extension (Python's `mimetypes.guess_type`, for the common types), else
/// `application/octet-stream`.
enum ContentTypeGuess {
    static let byExtension: [String: String] = [
        "txt": "text/plain", "html": "text/html", "htm": "text/html", "css": "text/css", "csv": "text/csv",
        "xml": "application/xml", "json": "application/json", "js": "application/javascript",
        "pdf": "application/pdf", "zip": "application/zip", "gz": "application/gzip", "tar": "application/x-tar",
        "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "svg": "image/svg+xml",
        "webp": "image/webp", "ico": "image/vnd.microsoft.icon", "bmp": "image/bmp", "tif": "image/tiff",
        "tiff": "image/tiff", "mp3": "audio/mpeg", "wav": "audio/x-wav", "ogg": "audio/ogg", "mp4": "video/mp4",
        "webm": "video/webm", "avi": "video/x-msvideo", "mov": "video/quicktime", "mpeg": "video/mpeg",
        "doc": "application/msword", "xls": "application/vnd.ms-excel", "ppt": "application/vnd.ms-powerpoint",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "md": "text/markdown", "yaml": "application/yaml", "yml": "application/yaml", "wasm": "application/wasm",
    ]

    static func contentType(forObject name: String) -> String {
        let last = name.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
        guard let dot = last.lastIndex(of: "."), dot != last.startIndex else { return "application/octet-stream" }
        let ext = last[last.index(after: dot)...].lowercased()
        return byExtension[ext] ?? "application/octet-stream"
    }
}
