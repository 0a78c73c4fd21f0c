/// The services of one Shoal node.
public enum NodeServices {}
