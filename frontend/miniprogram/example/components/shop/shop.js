// The example's shop: logs in, shows the account (phone, nickname, avatar), lists the products, and buys one, all
// through wxgate's kit (built into ../../wxgate by `make kit-example`).
const { Wxgate, fromWx } = require("../../wxgate/index");

/** A kit failure as the page says it. */
function sentence(error) {
  return error && error.code ? `${error.code}: ${error.message}` : String(error);
}

Component({
  properties: {
    baseUrl: { type: String, value: "" },
    /** A sandbox persona: set only against wxgate in sandbox mode. */
    persona: { type: String, value: "" },
  },

  data: { me: null, avatarSrc: "", products: [], order: null, outcome: "", error: "", privacyNeeded: false },

  lifetimes: {
    attached() {
      this.wxgate = new Wxgate({
        baseUrl: this.data.baseUrl,
        platform: fromWx(wx),
        sandbox: this.data.persona ? { persona: this.data.persona } : undefined,
      });
      this.wxgate.onPrivacyNeeded(() => this.setData({ privacyNeeded: true }));
      this.ready = this.run(async () => {
        await this.wxgate.ensureLoggedIn();
        const products = await this.wxgate.products();
        this.setData({
          products: products.map((product) => ({ ...product, price: (product.price_fen / 100).toFixed(2) })),
        });
        this.show(await this.wxgate.me());
      });
    },
  },

  methods: {
    /** Runs a kit call; a failure is shown, never thrown at the page. */
    async run(work) {
      try {
        this.setData({ error: "" });
        await work();
      } catch (error) {
        this.setData({ error: sentence(error) });
      }
    },

    show(me) {
      this.setData({ me, avatarSrc: me.avatar_url ? this.wxgate.avatarSource(me.avatar_url) : "" });
    },

    onPhoneNumber(event) {
      const code = event.detail && event.detail.code;
      return this.run(async () => {
        if (!code && !this.data.persona) {
          throw new Error("the phone number was not shared");
        }
        await this.wxgate.bindPhone(code);
        this.show(await this.wxgate.me());
      });
    },

    onNicknameInput(event) {
      this.typedNickname = event.detail.value;
    },

    /** WeChat reviews what `<input type="nickname">` got and says so here; only a passed nickname is saved. */
    onNicknameReview(event) {
      if (!event.detail.pass || !this.typedNickname) {
        return this.run(async () => {
          throw new Error("WeChat did not pass this nickname");
        });
      }
      return this.run(async () => this.show(await this.wxgate.setNickname(this.typedNickname)));
    },

    onChooseAvatar(event) {
      return this.run(async () => this.show(await this.wxgate.setAvatar(event.detail.avatarUrl)));
    },

    onBuy(event) {
      return this.run(async () => {
        const outcome = await this.wxgate.pay(event.currentTarget.dataset.id);
        this.setData({ order: outcome.order, outcome: outcome.status });
      });
    },

    onAgreePrivacy() {
      this.wxgate.agreePrivacy("agree-privacy");
      this.setData({ privacyNeeded: false });
    },
  },
});
