import { hello } from "@po/contracts"; console.log(hello);
