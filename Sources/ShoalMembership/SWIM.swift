/// SWIM membership (Das et al. 2002) with the Lifeguard refinements (Dadgar et al. 2018),
/// as a pure state machine.
///
/// ``SWIM/Instance`` decides; a shell (an actor in `ShoalNode`, or `ShoalSimulation`)
/// carries out its ``SWIM/Directive``s: it sends the messages, delivers the ones that
/// arrive, and calls ``SWIM/Instance/onTick(now:)`` when ``SWIM/Instance/nextDeadline``
/// has passed. Nothing in this module reads a clock, draws randomness of its own or does
/// I/O, so a seeded run replays exactly.
public enum SWIM {}
