import "@xterm/xterm/css/xterm.css";
import "./ui/styles.css";
import { mount } from "svelte";
import App from "./ui/App.svelte";

mount(App, { target: document.getElementById("app")! });
