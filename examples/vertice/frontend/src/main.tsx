import axios from "axios";
import { createRoot } from "react-dom/client";

type Route = { length: number; route: string[] };

async function showRoute(from: string, to: string): Promise<Route> {
  const { data } = await axios.get<Route>("/route", { params: { from, to } });
  return data;
}

function App() {
  return <main><h1>Vertice</h1><p>Find the shortest route between two vertices.</p></main>;
}

createRoot(document.getElementById("root")!).render(<App />);
void showRoute;
