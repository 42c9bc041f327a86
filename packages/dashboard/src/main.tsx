import { render } from "preact";
import { App } from "./app.js";
import { HubModel } from "./hub-model.js";
import { loadSettings } from "./settings.js";
import "./styles.css";

const model = new HubModel(loadSettings());
render(<App model={model} />, document.getElementById("app")!);
void model.start();
