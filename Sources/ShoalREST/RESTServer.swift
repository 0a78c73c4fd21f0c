import Hummingbird

/// The REST surface of a node.
public enum RESTServer {}
