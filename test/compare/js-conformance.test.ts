/** The reference backend against its own oracle: proves the conformance suite itself runs green. */
import { createJsComparator } from '../../ts/compare/backends/js.js';
import { runComparatorConformance } from './conformance.js';

runComparatorConformance('js', () => createJsComparator());
