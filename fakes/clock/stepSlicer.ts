/** Slicers that pause after a counted number of checks, whatever the time: a replayed day pauses where it did before. */
import { Slicer } from '../../src/contacts/slicer';

/** A slicer factory whose slicers pause after every `steps` checks. */
export function stepSlicer(steps: number): () => Slicer {
  return () => {
    let t = 0;
    return new Slicer(steps, () => t++);
  };
}
