/// SWIM membership (Das et al. 2002) with Lifeguard, as a pure state machine.
public enum SWIM {}
