import type { MessageData } from '../../src/campaigns/content/types.js';

/** A small abandoned-cart recipient (one Moka Pot in cart `k1`) for mail tests. */
export function cartMessageData(messageId: string, customerId: string, to: string): MessageData {
  return {
    messageId,
    customerId,
    to,
    engagement: 'high',
    viewedProducts: [],
    cart: {
      cartId: 'k1',
      items: [
        {
          productId: 'p1',
          name: 'Moka Pot',
          category: 'kitchen',
          price: 30,
          currency: 'USD',
          url: 'https://shop.example.com/p1',
          quantity: 1,
        },
      ],
      total: 30,
      currency: 'USD',
      url: 'https://shop.example.com/cart/k1',
    },
    recommendations: { recentlyViewed: [], boughtTogether: [], replenishment: [], bestSellers: [], newArrivals: [] },
    reviews: [],
  };
}
