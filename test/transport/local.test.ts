import { LocalTransport } from '../../src/transport/local.js';
import { transportSuite } from './suite.js';

transportSuite('local', async () => new LocalTransport());
