/** The contact directory logs through the program's logger interface. */
export { silentLogger, type Logger } from '../logging/logger';
