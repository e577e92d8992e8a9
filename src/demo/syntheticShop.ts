/**
 * The one door from src/ into the synthetic shop generator (data/generator): the demo's seeding,
 * `breadcrumb seed` and the synthetic training table come through here, so no other file in src/
 * imports data/ (tests/imports.layers.test.ts).
 */
export {
  createShopContext,
  defaultSeedEnd,
  FIXED_SHOP_END,
  seedShop,
  simulateCustomer,
  storedShopEnd,
} from '../../data/generator/seedShop.js';
