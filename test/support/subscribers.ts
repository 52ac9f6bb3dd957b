/** Confirmed subscribers written straight into the table, under the name the tests use for fixtures. */
export {
  type Subscriber,
  seedConfirmedSubscribers as givenConfirmedSubscribers,
} from '../../functions/local/seed-subscribers';
