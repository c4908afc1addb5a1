export { VERSION } from '../model/version';
