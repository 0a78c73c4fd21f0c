import ShoalCore
import ShoalStorage
import ShoalSwiftAPI

/// The `/info` sections OpenStack Swift clients read to learn what a cluster supports:
/// exactly the middlewares this pipeline runs, with their limits.
public enum SwiftInfo {
    public static func capabilities(_ constraints: SwiftConstraints = .default, version: String) -> [String: JSONValue] {
        let limit: (Int) -> JSONValue = { .integer(Int64($0)) }
        return [
            "swift": [
                "version": .string(version),
                "max_file_size": .integer(constraints.maxFileSize),
                "max_meta_name_length": limit(constraints.maxMetaNameLength),
                "max_meta_value_length": limit(constraints.maxMetaValueLength),
                "max_meta_count": limit(constraints.maxMetaCount),
                "max_meta_overall_size": limit(constraints.maxMetaOverallSize),
                "max_header_size": limit(constraints.maxHeaderSize),
                "max_object_name_length": limit(constraints.maxObjectNameLength),
                "container_listing_limit": limit(constraints.containerListingLimit),
                "account_listing_limit": limit(constraints.accountListingLimit),
                "max_account_name_length": limit(constraints.maxAccountNameLength),
                "max_container_name_length": limit(constraints.maxContainerNameLength),
                "extra_header_count": 0,
                "account_autocreate": true,
                "allow_account_management": false,
                "strict_cors_mode": true,
                "policies": [["name": "Policy-0", "aliases": "Policy-0", "default": true]],
            ],
            "tempauth": ["account_acls": true],
            "slo": [
                "max_manifest_segments": limit(LargeObjects.maxManifestSegments),
                "max_manifest_size": limit(LargeObjects.maxManifestBytes),
                "min_segment_size": limit(LargeObjects.minSegmentBytes),
                "yield_frequency": 10,
                "allow_async_delete": false,
            ],
            "dlo": ["max_segments": 10_000],
            "tempurl": [
                "methods": .array(TempURL.methods.map { .string($0) }),
                "allowed_digests": .array(TempURL.allowedDigests.map { .string($0.rawValue) }),
                "incoming_remove_headers": [],
                "incoming_allow_headers": [],
                "outgoing_remove_headers": [],
                "outgoing_allow_headers": [],
            ],
            "bulk_delete": [
                "max_deletes_per_request": limit(Bulk.maxDeletesPerRequest),
                "max_failed_deletes": limit(Bulk.maxDeletesPerRequest),
            ],
            "container_quotas": [:],
            "account_quotas": [:],
            "versioned_writes": ["allowed_flags": ["x-versions-location", "x-history-location"]],
        ]
    }
}
