"""Generate demo/corpus.jsonl: synthetic texts written for the arxivist demo, not arXiv data.

Every title and abstract here is composed from phrase banks written for this project and
released under CC0. None of it is taken from arXiv, and the ids ("demo.0001", ...) are
deliberately not arXiv ids. The records follow arXiv's bulk-metadata JSON-lines format so the
`snapshot` source can read them: 80 papers with primary cs.AI, 80 cs.IR, 70 cs.RO, and 20 whose
primary category (cs.LG, cs.CV, stat.ML) is not configured, so the demo shows them filtered out.

The classes overlap on purpose, so that the task is learnable but not trivial: every class
shares generic machine-learning sentences ("transformer", "state-of-the-art", "benchmark"), and
about a quarter of each of cs.AI / cs.IR / cs.RO are "bridge" papers (an LLM agent for robot task
planning, reinforcement learning for recommendation, ...) that borrow another class's vocabulary;
half of those even take their method and experiments from the other class.

The output is deterministic for a given --seed: re-running writes a byte-identical file.

    python demo/make_corpus.py [--out demo/corpus.jsonl] [--seed 2024]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

DEFAULT_OUT = Path(__file__).resolve().parent / "corpus.jsonl"
DEFAULT_SEED = 2024
COMMENT = "synthetic demo text, not from arXiv"
AUTHORS = "Demo Author"
ID_PREFIX = "demo."

# Primary category -> number of papers.
COUNTS: dict[str, int] = {
    "cs.AI": 80,
    "cs.IR": 80,
    "cs.RO": 70,
    "cs.LG": 7,
    "cs.CV": 7,
    "stat.ML": 6,
}
CROSS_LIST_RATE = 0.25  # share of papers with a secondary category
BRIDGE_RATE = 0.25  # share of cs.AI / cs.IR / cs.RO papers that borrow another class's vocabulary
BRIDGE_MIX = 0.5  # chance that a bridge paper's body (and title) uses the partner's bank
SHARED_RATE = 0.3  # chance that a sentence slot is filled from the shared ML bank
MIN_WORDS, MAX_WORDS = 80, 200
SENTENCE_END = re.compile(r"[.?!] (?=[A-Z])")
SMALL_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "by",
        "for",
        "from",
        "in",
        "of",
        "on",
        "or",
        "over",
        "the",
        "to",
        "via",
        "with",
    ]
)


@dataclass(frozen=True)
class Bank:
    """The phrases one category's abstracts are composed from.

    Sentence templates use the slots {topic} / {Topic}, {tech}, {comp}, {bench}, {base},
    {metric} and the numbers {n}, {n2}, {gain}, {lo}, {hi}, {lo3}, {hi3}, {ms}, {hz},
    {trials}, {speed}.
    """

    topics: Sequence[str]
    heads: Sequence[str]  # short noun phrases for titles
    techs: Sequence[str]
    comps: Sequence[str]
    benches: Sequence[str]
    bases: Sequence[str]
    metrics: Sequence[str]
    problems: Sequence[str]
    motivations: Sequence[str]
    methods: Sequence[str]
    details: Sequence[str]
    setups: Sequence[str]
    results: Sequence[str]
    conclusions: Sequence[str]
    secondaries: Sequence[str]  # plausible cross-list categories


AI = Bank(
    topics=(
        "classical planning",
        "hierarchical task network planning",
        "commonsense reasoning",
        "knowledge graph completion",
        "description logic reasoning",
        "constraint satisfaction",
        "SAT-based scheduling",
        "answer set programming",
        "multi-agent coordination",
        "cooperative multi-agent reinforcement learning",
        "LLM-based agent design",
        "tool use in language agents",
        "explainable decision making",
        "causal reasoning",
        "automated theorem proving",
        "game-theoretic negotiation",
        "probabilistic inference in graphical models",
        "neuro-symbolic reasoning",
        "epistemic planning",
        "reward design for reinforcement learning",
        "ontology alignment",
        "temporal reasoning",
        "belief revision",
        "automated negotiation between agents",
    ),
    heads=(
        "Neuro-Symbolic Planning",
        "Learned Heuristics",
        "Verifiable Reasoning",
        "Cooperative Agents",
        "Counterfactual Explanations",
        "Lifted Search",
        "Self-Reflective Language Agents",
        "Constraint Propagation",
        "Theory of Mind",
        "Logical Consistency Checking",
        "Reward Machines",
        "Abductive Inference",
    ),
    techs=(
        "a neuro-symbolic planner that couples a language model with a PDDL solver",
        "a lifted heuristic search procedure",
        "a Monte Carlo tree search guided by a learned value function",
        "a constraint propagation scheme with learned variable ordering",
        "a graph neural network that operates over the knowledge base",
        "a chain-of-thought prompting strategy with self-verification",
        "a hierarchical reinforcement learning agent built on options",
        "a counterfactual explanation generator",
        "a centralized-training, decentralized-execution scheme",
        "an abductive reasoning module",
        "a modular agent that plans, acts and reflects",
        "a differentiable logic layer",
        "a Bayesian theory-of-mind model",
    ),
    comps=(
        "a symbolic verifier",
        "a learned heuristic",
        "a belief tracker",
        "an episodic memory",
        "a critic that scores candidate plans",
        "a conflict-driven clause learning back end",
        "a reward machine",
        "a shared communication channel between agents",
        "an attention-based policy",
        "an explicit causal graph",
        "a library of action schemas",
    ),
    benches=(
        "the International Planning Competition domains",
        "the Blocksworld and Logistics domains",
        "ALFWorld and WebShop",
        "the StarCraft Multi-Agent Challenge",
        "a collection of MiniZinc constraint models",
        "the bAbI and CLUTRR reasoning tasks",
        "grade-school arithmetic word problems",
        "the Hanabi cooperative card game",
        "random 3-SAT instances near the phase transition",
        "the Overcooked coordination game",
        "the TPTP theorem-proving library",
        "grid-world and Atari tasks",
    ),
    bases=(
        "the Fast Downward planner",
        "chain-of-thought prompting",
        "ReAct-style agents",
        "independent Q-learning",
        "QMIX and MAPPO",
        "state-of-the-art SAT solvers",
        "LIME and SHAP explanations",
        "purely neural baselines",
        "classical heuristic search",
        "off-the-shelf large language models",
    ),
    metrics=(
        "success rate",
        "plan quality",
        "coverage",
        "win rate",
        "reasoning accuracy",
        "sample efficiency",
        "the fraction of solved instances",
        "explanation fidelity",
    ),
    problems=(
        "{Topic} remains difficult when the state space grows combinatorially and hand-written "
        "domain knowledge is incomplete.",
        "Agents that rely on {topic} often fail to generalize beyond the problem instances seen "
        "during development.",
        "Although {topic} has a long history in artificial intelligence, current systems "
        "struggle to combine symbolic guarantees with the flexibility of learned models.",
        "Many real-world decision problems call for {topic}, yet existing solvers scale poorly "
        "and offer little insight into why a decision was taken.",
        "Large language models show surprising competence at {topic}, but their reasoning is "
        "brittle and hard to verify.",
        "A central open question in {topic} is how an autonomous agent should act when its "
        "knowledge of the world is partial and possibly inconsistent.",
        "We study {topic} in settings where several agents with private goals must coordinate "
        "under limited communication.",
        "Interpretability matters for {topic} now that automated agents are deployed in "
        "high-stakes domains such as healthcare and finance.",
        "Scaling {topic} to problems with thousands of variables and constraints is a "
        "long-standing challenge for knowledge-based systems.",
        "Existing approaches to {topic} either assume a perfect model of the environment or "
        "require millions of trial-and-error interactions.",
        "How can an agent tell whether its own conclusions are sound? We examine this question "
        "for {topic}.",
        "This paper revisits {topic} from the perspective of bounded rationality, where an "
        "agent must trade off deliberation time against decision quality.",
        "Automated reasoning systems for {topic} are typically evaluated on small, hand-picked "
        "problems that hide their worst-case behavior.",
    ),
    motivations=(
        "Symbolic methods are sound but rigid, whereas learned methods are flexible but offer no "
        "guarantees.",
        "Errors made early in a long reasoning chain propagate and are rarely corrected later.",
        "Human users, moreover, need to understand and contest the decisions that agents make "
        "on their behalf.",
        "The difficulty grows when agents must reason about the beliefs and intentions of other "
        "agents.",
    ),
    methods=(
        "We propose {tech}, which uses {comp} to prune unpromising branches of the search.",
        "To address this, we introduce {tech} and pair it with {comp}.",
        "Our approach, {tech}, represents domain knowledge explicitly and lets {comp} check every "
        "intermediate inference step.",
        "The key idea is to treat {topic} as a sequential decision problem solved by {tech}.",
        "We formalize the task in a first-order language and develop {tech} that reasons over "
        "it with {comp}.",
        "In this work we present {tech}, in which {comp} gives the agent feedback whenever a "
        "plan violates a precondition.",
        "Drawing on cognitive architectures, we design {tech} in which {comp} keeps the agent's "
        "beliefs consistent across episodes.",
        "We cast the problem as constraint satisfaction and solve it with {tech} augmented by "
        "{comp}.",
    ),
    details=(
        "Unlike prior work, the method comes with a soundness guarantee for every plan it returns.",
        "Agents exchange compact messages and update their beliefs with a Bayesian rule.",
        "Explanations are produced as minimal sets of facts whose change would alter the "
        "agent's decision.",
        "A learned policy proposes actions while a symbolic checker rejects those that violate "
        "the domain axioms.",
        "The reward signal is shaped by a temporal logic specification of the task.",
        "Tool calls, observations and reflections are logged so that the agent can revise its "
        "reasoning trace.",
    ),
    setups=(
        "We evaluate on {bench} against {base}.",
        "Experiments cover {bench}, where we compare with {base}.",
        "We test the approach on {bench} and on a new suite of procedurally generated problems.",
        "An empirical study on {bench} measures both solution quality and the number of "
        "reasoning steps.",
        "A user study complements the experiments on {bench}: participants judge how useful the "
        "generated explanations are.",
    ),
    results=(
        "Our method solves {n}% more instances than {base} within the same time budget.",
        "The agent improves {metric} by {gain} points while using fewer environment interactions.",
        "Results show consistent gains in {metric}, and the learned heuristic transfers to "
        "larger problems unseen during training.",
        "Across all domains the approach raises {metric} from {lo}% to {hi}%.",
        "Participants rated the explanations as markedly more faithful than those of {base}.",
    ),
    conclusions=(
        "These findings suggest that combining symbolic reasoning with learned components is a "
        "promising route toward reliable autonomous agents.",
        "We discuss limitations, including the cost of writing domain models, and outline "
        "future work on {topic}.",
        "The results indicate that explicit knowledge representation remains valuable even in "
        "the era of large language models.",
        "Our analysis also exposes failure modes of current agents that call for better "
        "evaluation protocols.",
        "The framework offers a principled foundation for trustworthy decision making.",
    ),
    secondaries=("cs.LG", "cs.LG", "cs.CL", "cs.MA", "cs.LO", "cs.GT"),
)

IR = Bank(
    topics=(
        "dense passage retrieval",
        "learning to rank",
        "sequential recommendation",
        "collaborative filtering",
        "query understanding",
        "conversational search",
        "click modeling",
        "offline search evaluation",
        "query auto-completion",
        "product search in e-commerce",
        "news recommendation",
        "retrieval-augmented generation",
        "cross-lingual information retrieval",
        "legal case retrieval",
        "sparse lexical retrieval",
        "session-based recommendation",
        "query performance prediction",
        "fairness in ranking",
        "cold-start recommendation",
        "approximate nearest neighbour search",
        "document expansion",
        "relevance feedback",
        "music recommendation",
    ),
    heads=(
        "Dense Retrieval",
        "Unbiased Learning to Rank",
        "Graph Collaborative Filtering",
        "Query Rewriting",
        "Late Interaction",
        "Generative Retrieval",
        "Listwise Ranking",
        "Debiased Recommendation",
        "Learned Sparse Representations",
        "Click Models",
        "Distilled Re-Rankers",
        "User Interest Modeling",
    ),
    techs=(
        "a dual-encoder retriever trained with hard negatives mined from BM25",
        "a late-interaction ranking model",
        "a graph-based collaborative filtering model with contrastive regularization",
        "a listwise ranking loss with position-aware weighting",
        "a query rewriting module based on a small language model",
        "a learned sparse representation with term expansion",
        "an unbiased learning-to-rank estimator that corrects for position bias",
        "a session-aware transformer recommender",
        "a lightweight cross-encoder re-ranker distilled from a larger teacher",
        "a product-quantized index with learned codebooks",
        "a user-interest model that separates long- and short-term preferences",
        "a generative retrieval model that decodes document identifiers",
    ),
    comps=(
        "an inverted index",
        "a click model of user examination",
        "a hard-negative sampler",
        "a query intent classifier",
        "a user embedding table",
        "a second-stage re-ranker",
        "an item co-occurrence graph",
        "a calibration layer for relevance scores",
        "a popularity debiasing term",
        "a pseudo-relevance feedback loop",
    ),
    benches=(
        "MS MARCO and the TREC Deep Learning tracks",
        "the BEIR zero-shot benchmark",
        "MovieLens, Amazon Books and Yelp",
        "Natural Questions and TriviaQA",
        "the Yahoo! learning-to-rank dataset",
        "the MIND news recommendation data",
        "TREC CAsT conversational search topics",
        "a large e-commerce query log",
        "the COLIEE legal retrieval collection",
        "Last.fm listening histories",
    ),
    bases=(
        "BM25",
        "DPR and ColBERT",
        "LightGCN",
        "SASRec and BERT4Rec",
        "LambdaMART",
        "monoT5 re-rankers",
        "matrix factorization",
        "query likelihood models",
        "SPLADE",
        "popularity-based recommenders",
    ),
    metrics=(
        "nDCG@10",
        "MRR@10",
        "Recall@100",
        "Hit Rate@20",
        "MAP",
        "click-through rate",
        "Recall@20",
    ),
    problems=(
        "{Topic} is central to modern search engines, yet models trained on one collection "
        "often degrade on queries from a different domain.",
        "Users express complex information needs with short and ambiguous queries, which makes "
        "{topic} challenging.",
        "Interaction logs are a cheap source of supervision for {topic}, but clicks are biased "
        "by the position at which results are shown.",
        "Recommender systems must balance relevance with diversity and novelty, and {topic} is "
        "no exception.",
        "Sparse user-item interactions and cold-start items remain the main obstacles for {topic}.",
        "Evaluating {topic} with static test collections is expensive because relevance "
        "judgments must be collected from human assessors.",
        "For {topic}, efficiency matters as much as effectiveness when millions of documents "
        "must be scored within milliseconds.",
        "Retrieval quality bounds the factuality of systems that ground language model outputs "
        "in external documents, which motivates our study of {topic}.",
        "Existing work on {topic} largely ignores how the needs of a user evolve over a search "
        "session.",
        "Personalized ranking in {topic} requires modeling heterogeneous signals such as clicks, "
        "dwell time and purchases.",
        "What makes a document relevant to a query? Work on {topic} has long answered this with "
        "term matching alone.",
        "Search and recommendation platforms log billions of interactions every day, offering a "
        "rich but biased signal for {topic}.",
        "In this paper we address {topic}, where the candidate pool is large and relevance "
        "depends on the user's context.",
    ),
    motivations=(
        "Lexical matching misses paraphrases, whereas dense representations struggle with rare "
        "entities and exact identifiers.",
        "Popular items dominate the training signal, so niche items are rarely recommended.",
        "Annotating relevance at scale is costly, and logged clicks are noisy proxies for it.",
        "Latency budgets in production rule out expensive cross-attention over every candidate "
        "document.",
    ),
    methods=(
        "We propose {tech} and combine it with {comp} to improve first-stage recall.",
        "Our approach, {tech}, learns query and document representations jointly and relies on "
        "{comp} at inference time.",
        "To this end, we introduce {tech}, in which {comp} reduces the influence of popular "
        "items during training.",
        "We revisit {topic} and design {tech} that can be plugged into existing retrieval "
        "pipelines.",
        "The proposed model, {tech}, is trained on query logs with {comp} and fine-tuned on a "
        "small set of editorial judgments.",
        "We present {tech} that treats users and items as nodes of a bipartite graph and uses "
        "{comp} during ranking.",
        "Our solution pairs {tech} with {comp} so that candidate documents are scored in two "
        "stages.",
    ),
    details=(
        "Documents are indexed once offline, so the query-time cost stays close to that of BM25.",
        "Relevance labels are inferred from clicks with an examination hypothesis and inverse "
        "propensity weighting.",
        "The ranking objective directly optimizes a smooth approximation of nDCG.",
        "Item embeddings are shared across markets so that knowledge from data-rich domains "
        "transfers to new ones.",
        "Queries are reformulated before retrieval to recover terms the user left out.",
        "Negative items are sampled in proportion to their popularity to counter exposure bias.",
    ),
    setups=(
        "Experiments on {bench} compare against {base}.",
        "We evaluate on {bench} using the standard TREC evaluation tools.",
        "Offline experiments on {bench} are complemented by an online A/B test on a commercial "
        "search engine.",
        "We conduct extensive experiments on {bench} and report both effectiveness and query "
        "latency.",
        "Results are reported on {bench}, with {base} as reference systems.",
    ),
    results=(
        "Our model improves {metric} by {gain}% over {base} while keeping latency under {ms} "
        "milliseconds per query.",
        "The approach yields consistent gains in {metric} and is particularly effective for "
        "long-tail queries.",
        "Compared with {base}, {metric} increases from {lo3} to {hi3}.",
        "An online experiment shows a {gain}% lift in click-through rate and longer sessions.",
        "Recommendations become more diverse without sacrificing {metric}.",
    ),
    conclusions=(
        "Our results indicate that relevance signals from user interactions remain valuable "
        "when they are properly debiased.",
        "We release our code and runs to facilitate reproducible research on {topic}.",
        "The findings have practical implications for teams deploying search and recommender "
        "systems at scale.",
        "An error analysis shows that most remaining failures stem from ambiguous queries.",
        "Future work will study how these retrieval models interact with downstream answer "
        "generation.",
    ),
    secondaries=("cs.LG", "cs.CL", "cs.CL", "cs.DL", "cs.AI", "cs.HC"),
)

RO = Bank(
    topics=(
        "dexterous in-hand manipulation",
        "robotic grasping in clutter",
        "visual SLAM",
        "LiDAR-inertial odometry",
        "quadruped locomotion",
        "bipedal walking",
        "sampling-based motion planning",
        "model predictive control for mobile robots",
        "sim-to-real transfer",
        "aerial manipulation with drones",
        "autonomous drone racing",
        "multi-robot exploration",
        "deformable object manipulation",
        "legged navigation on rough terrain",
        "whole-body control of humanoids",
        "contact-rich assembly",
        "imitation learning from teleoperated demonstrations",
        "soft robotic grasping",
        "trajectory optimization",
        "underwater vehicle localization",
        "human-robot collaboration",
        "mobile manipulation in household environments",
    ),
    heads=(
        "Diffusion Policies",
        "Contact-Implicit Optimization",
        "Whole-Body MPC",
        "Visuotactile Grasping",
        "Robust Loop Closure",
        "Agile Quadrotor Flight",
        "Teacher-Student Locomotion",
        "Keypoint Representations",
        "Safe Navigation",
        "Domain Randomization",
        "Adaptive Impedance Control",
        "Learned Collision Checking",
    ),
    techs=(
        "a diffusion policy conditioned on point-cloud observations",
        "a factor-graph back end with loop-closure verification",
        "a contact-implicit trajectory optimizer",
        "a whole-body model predictive controller",
        "a reinforcement learning policy trained with domain randomization",
        "a sampling-based planner with learned collision checking",
        "an impedance controller with adaptive stiffness",
        "a visuotactile grasp quality network",
        "a teacher-student locomotion policy that distills privileged information",
        "a keypoint-based object representation",
        "a geometric tracking controller on SE(3)",
        "a risk-aware navigation stack",
    ),
    comps=(
        "a tactile sensor array",
        "an onboard depth camera",
        "a proprioceptive state estimator",
        "an inverse kinematics solver",
        "a learned dynamics model",
        "a safety filter based on control barrier functions",
        "an event camera",
        "a low-level PD joint controller",
        "a terrain height map",
        "a force-torque sensor at the wrist",
    ),
    benches=(
        "a Franka Emika Panda arm",
        "a Unitree Go1 quadruped",
        "the ANYmal legged robot",
        "a custom quadrotor with an onboard computer",
        "the KITTI and EuRoC datasets",
        "a UR5 manipulator with a parallel-jaw gripper",
        "a wheeled mobile manipulator in a mock apartment",
        "the YCB object set",
        "a full-size humanoid platform",
        "the TUM RGB-D benchmark",
        "an underwater test tank",
    ),
    bases=(
        "ORB-SLAM3",
        "RRT* and PRM",
        "a hand-tuned PD controller",
        "behavior cloning",
        "PPO without domain randomization",
        "GraspNet",
        "nonlinear MPC with a nominal model",
        "LIO-SAM",
        "open-loop trajectory replay",
    ),
    metrics=(
        "grasp success rate",
        "absolute trajectory error",
        "tracking accuracy",
        "task completion rate",
        "planning time",
        "energy efficiency",
        "localization drift",
    ),
    problems=(
        "{Topic} requires a robot to reason about contacts that are hard to model and hard to "
        "sense.",
        "Deploying {topic} outside the laboratory is hindered by sensor noise, actuator delays "
        "and unmodeled dynamics.",
        "Policies trained entirely in simulation frequently fail on hardware, which limits "
        "progress in {topic}.",
        "Reliable {topic} is a prerequisite for robots that operate in unstructured homes, "
        "warehouses and outdoor sites.",
        "Accurate state estimation is essential for {topic}, especially when GPS is unavailable "
        "and lighting changes quickly.",
        "Most existing methods for {topic} assume rigid objects and known geometry, assumptions "
        "that rarely hold in practice.",
        "Agile flight and legged motion both demand controllers that react within milliseconds, "
        "and {topic} is no exception.",
        "Collecting real-world demonstrations for {topic} is slow and expensive, which restricts "
        "the training data available.",
        "Can a robot recover when its gripper slips or its feet lose traction? For {topic} the "
        "answer is often no.",
        "Robots performing {topic} must respect joint limits, torque bounds and collision "
        "constraints while reacting to a changing scene.",
        "This paper addresses {topic} for robots with limited onboard computation and noisy "
        "proprioceptive sensing.",
        "Household and industrial robots increasingly rely on {topic}, yet failures on hardware "
        "remain common and costly.",
    ),
    motivations=(
        "Vision alone cannot reveal contact forces, friction or the pose of occluded parts.",
        "Model errors accumulate quickly on hardware, and drift in the state estimate can lead "
        "to collisions.",
        "Hand-engineered controllers are reliable but must be retuned for every new platform.",
        "Learning-based controllers, in turn, can behave unpredictably outside the training "
        "distribution.",
    ),
    methods=(
        "We present {tech} that runs onboard at {hz} Hz and uses {comp} for feedback.",
        "Our system combines {tech} with {comp} to close the loop between perception and control.",
        "We develop {tech}; {comp} supplies the contact information that vision alone cannot "
        "provide.",
        "The proposed framework couples {tech} with {comp} and requires no manual tuning per "
        "platform.",
        "To bridge the reality gap, we train {tech} and fuse its commands with {comp}.",
        "This paper introduces {tech}, together with {comp} that keeps the robot within its "
        "safe operating envelope.",
    ),
    details=(
        "The controller respects joint limits and torque constraints at every time step.",
        "Training uses massively parallel simulation with randomized friction, mass and latency.",
        "Loop closures are detected from place-recognition descriptors and verified "
        "geometrically before they enter the map.",
        "Grasp candidates are sampled from the point cloud and ranked by predicted success "
        "probability.",
        "Collision avoidance is enforced by a control barrier function that filters the nominal "
        "command.",
        "The gripper's compliance lets the robot tolerate pose errors of several millimeters.",
    ),
    setups=(
        "We validate the approach on {bench}.",
        "Hardware experiments on {bench} are complemented by extensive simulation studies.",
        "We report results from more than {trials} real-world trials on {bench}.",
        "The method is evaluated in simulation and on {bench}, and compared against {base}.",
        "Field tests with {bench} assess robustness to disturbances and payload changes.",
    ),
    results=(
        "The robot reaches a {n}% success rate on previously unseen objects, compared with "
        "{n2}% for {base}.",
        "Our method reduces absolute trajectory error by {gain}% relative to {base}.",
        "The learned policy traverses stairs, gravel and slopes at speeds of up to {speed} m/s.",
        "Experiments show clear improvements in {metric} and far fewer collisions.",
        "Zero-shot transfer from simulation to hardware succeeds without any real-world "
        "fine-tuning.",
    ),
    conclusions=(
        "These results bring robust {topic} a step closer to deployment in real environments.",
        "We discuss remaining limitations, such as sensitivity to transparent objects and fast "
        "lighting changes.",
        "Videos of the experiments and the controller code are available on the project page.",
        "The approach carries over to other robot morphologies with minimal modification.",
        "Future work will extend the system to long-horizon tasks and outdoor operation.",
    ),
    secondaries=("cs.AI", "cs.LG", "cs.CV", "cs.CV", "eess.SY", "cs.SY"),
)

# Sentences shared by every class: the generic ML vocabulary real abstracts have in common.
SHARED = Bank(
    topics=(),
    heads=(),
    techs=(),
    comps=(),
    benches=(),
    bases=(),
    metrics=(),
    problems=(
        "Deep neural networks have transformed many areas of computer science, and {topic} is "
        "no exception.",
        "Recent advances in large pretrained transformers have renewed interest in {topic}.",
        "Despite steady progress on public benchmarks, {topic} remains far from solved.",
        "Data scarcity and distribution shift are recurring obstacles for learning-based {topic}.",
        "State-of-the-art methods for {topic} rely on large neural networks whose behavior is "
        "hard to predict.",
        "Benchmarks for {topic} have saturated quickly, yet deployed systems still fail in ways "
        "that leaderboards do not reveal.",
        "Neural networks trained end to end have become the default choice for {topic}, but "
        "they need large amounts of labeled data and careful tuning.",
    ),
    motivations=(
        "Collecting labeled data at scale is expensive, and models trained on one benchmark "
        "often fail to generalize.",
        "Foundation models promise broad generalization, but adapting them efficiently remains "
        "an open problem.",
        "Moreover, strong results on a single benchmark say little about robustness under "
        "distribution shift.",
    ),
    methods=(
        "Our model builds on a transformer encoder pretrained with a self-supervised objective "
        "and fine-tuned end to end.",
        "We adopt a contrastive learning objective that pulls related examples together and "
        "pushes unrelated ones apart.",
        "A lightweight neural network is trained with a mix of supervised and reinforcement "
        "learning signals.",
        "We further distill the model into a smaller student network for efficient deployment.",
        "We fine-tune a pretrained transformer with parameter-efficient adapters and keep most "
        "of its weights frozen.",
        "A large language model generates synthetic training data, which a learned critic "
        "filters before training.",
    ),
    details=(
        "Attention layers let the model weigh the most informative parts of its input.",
        "Training is stabilized with curriculum learning and careful data augmentation.",
        "The whole model is trained end to end with a single loss and a standard optimizer.",
    ),
    setups=(
        "We compare against strong state-of-the-art baselines under identical training budgets.",
        "Ablation studies isolate the contribution of each component.",
        "All experiments are repeated with five random seeds, and we report means and standard "
        "deviations.",
        "We evaluate on three public benchmarks and on a new dataset that we release with this "
        "paper.",
        "Baselines include recent transformer models as well as classical methods, all tuned on "
        "the same validation data.",
    ),
    results=(
        "The proposed approach achieves state-of-the-art results and outperforms strong "
        "baselines by a clear margin.",
        "The gains hold across model sizes and remain significant under statistical testing.",
        "Notably, the improvements are largest in the low-data regime.",
        "Our approach outperforms the state of the art on every benchmark while using a fraction "
        "of the parameters.",
        "Ablations show that pretraining and data augmentation each contribute a sizable share of "
        "the gain.",
    ),
    conclusions=(
        "Code, trained models and data will be made publicly available.",
        "We hope this work encourages further research at the intersection of deep learning and "
        "{topic}.",
        "Our findings call for more careful benchmark design and evaluation.",
        "Our results suggest that scale alone does not solve {topic}.",
    ),
    secondaries=(),
)

LG = Bank(
    topics=(
        "optimization of deep networks",
        "continual learning",
        "federated learning",
        "graph representation learning",
        "learning-rate scheduling",
        "model compression",
    ),
    heads=("Adaptive Optimizers", "Replay Buffers", "Federated Averaging", "Sparse Training"),
    techs=(
        "an adaptive optimizer with decoupled momentum",
        "a replay-based continual learner",
        "a communication-efficient federated averaging scheme",
        "a structured pruning method",
    ),
    comps=(
        "a warm-up schedule",
        "a small replay buffer",
        "gradient compression",
        "a sparsity mask",
    ),
    benches=("CIFAR-100 and ImageNet", "split MNIST and permuted MNIST", "the OGB benchmark"),
    bases=("SGD with momentum", "Adam", "FedAvg", "magnitude pruning"),
    metrics=("test accuracy", "final accuracy", "accuracy at a fixed compute budget"),
    problems=(
        "Training deep networks for {topic} is sensitive to hyperparameters and initialization.",
        "{Topic} suffers when data arrive from shifting distributions over time.",
    ),
    motivations=("Theoretical understanding lags far behind empirical practice.",),
    methods=(
        "We propose {tech} and analyze its convergence under standard smoothness assumptions.",
        "Our method augments {tech} with {comp}.",
    ),
    details=("We prove a regret bound that matches known lower bounds up to log factors.",),
    setups=("Experiments on {bench} compare against {base}.",),
    results=("The method improves {metric} by {gain} points over {base}.",),
    conclusions=("Our analysis sheds light on why simple heuristics work well in practice.",),
    secondaries=("stat.ML", "cs.AI"),
)

CV = Bank(
    topics=(
        "semantic segmentation",
        "object detection",
        "video understanding",
        "image generation with diffusion models",
        "monocular depth estimation",
    ),
    heads=("Vision Transformers", "Masked Image Modeling", "Open-Vocabulary Detection"),
    techs=(
        "a hierarchical vision transformer",
        "a masked image modeling pretext task",
        "an open-vocabulary detector aligned with text embeddings",
    ),
    comps=("a feature pyramid", "a lightweight decoder head", "a text encoder"),
    benches=("COCO and ADE20K", "Cityscapes", "Kinetics-400"),
    bases=("Mask R-CNN", "DETR", "a ResNet-50 backbone"),
    metrics=("mean IoU", "box AP", "top-1 accuracy"),
    problems=(
        "{Topic} demands dense predictions that are both accurate and fast.",
        "Collecting annotations for {topic} is laborious, which limits the size of training sets.",
    ),
    motivations=("Convolutional backbones capture local texture but miss global context.",),
    methods=("We introduce {tech} with {comp}.", "Our model pairs {tech} with {comp}."),
    details=("Images are processed at multiple resolutions and fused by attention.",),
    setups=("We evaluate on {bench} and compare with {base}.",),
    results=("The model improves {metric} by {gain} points over {base}.",),
    conclusions=("Qualitative results show sharper object boundaries and fewer false positives.",),
    secondaries=("cs.LG", "cs.AI"),
)

STAT = Bank(
    topics=(
        "Bayesian nonparametric inference",
        "kernel two-sample testing",
        "conformal prediction",
        "variational inference",
        "causal effect estimation",
    ),
    heads=("Conformal Prediction Sets", "Kernel Tests", "Stochastic Variational Inference"),
    techs=(
        "a split-conformal procedure with adaptive scores",
        "a kernel test statistic",
        "a stochastic variational inference algorithm",
    ),
    comps=("a Gaussian process prior", "a calibration set", "importance weighting"),
    benches=("simulated data and UCI regression datasets", "synthetic mixtures"),
    bases=("bootstrap confidence intervals", "MCMC sampling", "the MMD test"),
    metrics=("coverage", "statistical power", "log-likelihood"),
    problems=(
        "Quantifying uncertainty in {topic} is essential for reliable decisions.",
        "{Topic} becomes unreliable when the model is misspecified.",
    ),
    motivations=("Asymptotic guarantees rarely hold at realistic sample sizes.",),
    methods=("We develop {tech} based on {comp}.", "We study {tech} combined with {comp}."),
    details=("We establish finite-sample validity under exchangeability.",),
    setups=("Simulations and {bench} compare the procedure with {base}.",),
    results=("The procedure attains nominal {metric} with tighter intervals than {base}.",),
    conclusions=("The method is simple to implement and computationally cheap.",),
    secondaries=("cs.LG", "math.ST"),
)

BANKS: dict[str, Bank] = {
    "cs.AI": AI,
    "cs.IR": IR,
    "cs.RO": RO,
    "cs.LG": LG,
    "cs.CV": CV,
    "stat.ML": STAT,
}


@dataclass(frozen=True)
class Bridge:
    """A paper of one class that borrows another class's vocabulary (an ambiguous case)."""

    partner: str
    topics: Sequence[str]
    sentences: Sequence[str]


BRIDGES: dict[str, Sequence[Bridge]] = {
    "cs.AI": (
        Bridge(
            "cs.RO",
            (
                "embodied task planning with language agents",
                "robot task planning with LLM agents",
                "multi-robot coordination as multi-agent planning",
            ),
            (
                "A large language model decomposes natural-language instructions into symbolic "
                "subgoals that a robot executes with pretrained skills.",
                "The planner's actions are grounded in the robot's perception so that infeasible "
                "steps are detected before execution.",
                "The agent is evaluated on long-horizon household tasks in simulation and on a "
                "mobile manipulator.",
            ),
        ),
        Bridge(
            "cs.IR",
            (
                "knowledge-graph reasoning for question answering",
                "web search by tool-using agents",
                "explainable recommendation via logical reasoning",
            ),
            (
                "An LLM agent decides when to issue search queries and how to combine the "
                "retrieved evidence into an answer.",
                "A knowledge graph of entities and relations supports multi-hop reasoning over "
                "retrieved documents.",
                "Explanations for recommended items are derived from reasoning paths in a "
                "knowledge graph.",
            ),
        ),
    ),
    "cs.IR": (
        Bridge(
            "cs.AI",
            (
                "reinforcement learning for recommendation",
                "retrieval augmentation for language agents",
                "knowledge-graph-enhanced recommendation",
            ),
            (
                "We model recommendation as a sequential decision process and train a "
                "reinforcement learning agent to maximize long-term user engagement.",
                "An LLM agent plans a sequence of search actions and reasons over the retrieved "
                "passages before answering.",
                "Multi-hop reasoning over a knowledge graph links user histories to candidate "
                "items.",
            ),
        ),
        Bridge(
            "cs.RO",
            ("retrieval of robot demonstrations", "cross-modal retrieval for embodied agents"),
            (
                "Robot demonstrations are stored in a vector index and retrieved by similarity to "
                "the current camera observation.",
                "Given a language query, the system ranks manipulation skills from a large "
                "library by their expected relevance.",
            ),
        ),
    ),
    "cs.RO": (
        Bridge(
            "cs.AI",
            (
                "language-conditioned task planning for mobile manipulators",
                "LLM-based task planning for household robots",
                "reinforcement learning of robot skills",
            ),
            (
                "A large language model translates user instructions into a sequence of symbolic "
                "actions, which the robot grounds in its perception.",
                "The task planner reasons about preconditions and effects of each skill before "
                "handing the plan to the motion planner.",
                "A reinforcement learning agent learns the reward-maximizing policy from sparse "
                "task-level feedback.",
            ),
        ),
        Bridge(
            "cs.IR",
            (
                "visual place recognition for loop closure",
                "retrieval augmentation for robot policies",
            ),
            (
                "Place recognition is cast as image retrieval over a database of previously "
                "visited locations, ranked by descriptor similarity.",
                "A retrieval module fetches the most similar past demonstrations from a vector "
                "index to condition the policy.",
            ),
        ),
    ),
}

TITLE_TEMPLATES = (
    "{Head} for {TopicT}",
    "Towards {Adj} {TopicT}",
    "{TopicT} with {Head}",
    "Rethinking {TopicT}: {Head} at Scale",
    "{Name}: {Head} for {TopicT}",
    "On the {Property} of {Head} in {TopicT}",
    "{Adj} {TopicT} via {Head}",
    "{Name}: {Adj} {TopicT}",
    "Learning {Adj} {TopicT} from Limited Data",
    "Revisiting {TopicT} through {Head}",
)
TITLE_ADJS = (
    "Robust",
    "Scalable",
    "Efficient",
    "Interpretable",
    "Sample-Efficient",
    "Generalizable",
    "Reliable",
    "Data-Efficient",
    "Adaptive",
    "Zero-Shot",
)
TITLE_PROPERTIES = ("Robustness", "Limits", "Generalization", "Efficiency", "Role")
NAME_SYLLABLES = ("ka", "lo", "ri", "ve", "sa", "no", "ta", "mi", "zu", "pe", "dor", "lin", "mar")


def capitalize_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def title_case(text: str) -> str:
    """Title case that keeps acronyms ("LLM-based agents" -> "LLM-Based Agents")."""
    words = []
    for index, word in enumerate(text.split()):
        if index > 0 and word in SMALL_WORDS:
            words.append(word)
            continue
        words.append("-".join(capitalize_first(part) for part in word.split("-")))
    return " ".join(words)


def numbers(rng: random.Random) -> dict[str, str]:
    lo = rng.randint(40, 78)
    lo3 = rng.uniform(0.2, 0.55)
    n2 = rng.randint(35, 70)
    return {
        "n": str(rng.randint(5, 40)),
        "n2": str(n2),
        "gain": f"{rng.uniform(1.5, 18.0):.1f}",
        "lo": str(lo),
        "hi": str(lo + rng.randint(4, 20)),
        "lo3": f"{lo3:.3f}",
        "hi3": f"{lo3 + rng.uniform(0.01, 0.08):.3f}",
        "ms": str(rng.choice((5, 8, 10, 15, 20, 30, 50))),
        "hz": str(rng.choice((30, 50, 100, 200, 500, 1000))),
        "trials": str(rng.choice((50, 100, 150, 200, 300, 500))),
        "speed": f"{rng.uniform(0.8, 3.5):.1f}",
    }


class Composer:
    """Fills sentence templates for one paper, keeping its topic and technique fixed.

    A bridge paper may take its body (method, details, setups, results) from the partner's
    bank, with the partner's techniques and benchmarks, while its framing stays its own: a
    cs.RO paper on LLM task planning whose method reads like cs.AI, say.
    """

    BODY = frozenset(("methods", "details", "setups", "results"))

    def __init__(
        self, rng: random.Random, bank: Bank, topic: str, body_bank: Bank | None = None
    ) -> None:
        self.rng = rng
        self.bank = bank
        self.body_bank = body_bank or bank
        self.own_slots = self.slots_for(bank, topic)
        self.body_slots = self.slots_for(body_bank, topic) if body_bank else self.own_slots

    def slots_for(self, bank: Bank, topic: str) -> dict[str, str]:
        return {
            "topic": topic,
            "Topic": capitalize_first(topic),
            "tech": self.rng.choice(bank.techs),
            "comp": self.rng.choice(bank.comps),
            "bench": self.rng.choice(bank.benches),
            "base": self.rng.choice(bank.bases),
            "metric": self.rng.choice(bank.metrics),
        }

    def pick(self, part: str, shared_rate: float = SHARED_RATE) -> str:
        """A filled sentence for `part` (a Bank field), sometimes from the shared ML bank."""
        bank, slots = self.bank, self.own_slots
        if part in self.BODY:
            bank, slots = self.body_bank, self.body_slots
        templates: Sequence[str] = getattr(bank, part)
        if self.rng.random() < shared_rate:
            templates = getattr(SHARED, part)
        return self.rng.choice(templates).format(**slots, **numbers(self.rng))


def compose_abstract(rng: random.Random, bank: Bank, topic: str, bridge: Bridge | None) -> str:
    """4-7 sentences: problem, [motivation], method, [detail], setup, result, [conclusion]."""
    swap = bridge is not None and rng.random() < BRIDGE_MIX
    composer = Composer(rng, bank, topic, BANKS[bridge.partner] if bridge and swap else None)
    sentences = [composer.pick("problems", shared_rate=0.15)]
    if rng.random() < 0.45:
        sentences.append(composer.pick("motivations"))
    sentences.append(composer.pick("methods", shared_rate=0.1))
    if rng.random() < 0.5:
        sentences.append(composer.pick("details"))
    sentences.append(composer.pick("setups"))
    sentences.append(composer.pick("results"))
    if rng.random() < 0.55:
        sentences.append(composer.pick("conclusions"))
    if bridge is not None:
        # One or two sentences written for exactly this crossover, after the opening one.
        for sentence in rng.sample(list(bridge.sentences), k=rng.choice((1, 2))):
            position = rng.randint(1, len(sentences) - 1)
            if len(sentences) < 7:
                sentences.insert(position, sentence)
            else:
                sentences[position] = sentence
    return " ".join(sentences)


def random_name(rng: random.Random) -> str:
    syllables = rng.sample(NAME_SYLLABLES, k=rng.choice((2, 3)))
    return capitalize_first("".join(syllables))


def compose_title(rng: random.Random, bank: Bank, topic: str, bridge: Bridge | None) -> str:
    if bridge is not None and rng.random() < BRIDGE_MIX:
        bank = BANKS[bridge.partner]
    template = rng.choice(TITLE_TEMPLATES)
    return template.format(
        Head=rng.choice(bank.heads),
        TopicT=title_case(topic),
        Adj=rng.choice(TITLE_ADJS),
        Property=rng.choice(TITLE_PROPERTIES),
        Name=random_name(rng),
    )


def secondary_for(rng: random.Random, primary: str, bridge: Bridge | None) -> str:
    """A plausible cross-list category: a bridge paper's partner, most of the time."""
    if bridge is not None and rng.random() < 0.7:
        return bridge.partner
    return rng.choice([code for code in BANKS[primary].secondaries if code != primary])


def make_paper(
    rng: random.Random, primary: str, seen: set[str]
) -> tuple[dict[str, str], Bridge | None]:
    """One record without id and date (abstracts and titles never repeat), and its bridge."""
    bank = BANKS[primary]
    bridges = BRIDGES.get(primary, ())
    while True:
        bridge = rng.choice(bridges) if bridges and rng.random() < BRIDGE_RATE else None
        topic = rng.choice(bridge.topics if bridge is not None else bank.topics)
        abstract = compose_abstract(rng, bank, topic, bridge)
        title = compose_title(rng, bank, topic, bridge)
        n_words = len(abstract.split())
        n_sentences = len(SENTENCE_END.findall(abstract)) + 1
        if abstract in seen or title in seen:
            continue
        if not (MIN_WORDS <= n_words <= MAX_WORDS and 4 <= n_sentences <= 7):
            continue
        seen.update((abstract, title))
        return {"title": title, "abstract": abstract, "categories": primary}, bridge


def make_category(
    rng: random.Random, primary: str, count: int, seen: set[str]
) -> list[dict[str, str]]:
    """`count` papers of one primary category, a quarter of them cross-listed."""
    made = [make_paper(rng, primary, seen) for _ in range(count)]
    for index in rng.sample(range(count), k=round(CROSS_LIST_RATE * count)):
        paper, bridge = made[index]
        paper["categories"] = f"{primary} {secondary_for(rng, primary, bridge)}"
    return [paper for paper, _ in made]


def make_corpus(seed: int = DEFAULT_SEED) -> list[dict[str, str]]:
    rng = random.Random(seed)
    seen: set[str] = set()
    papers = [
        paper
        for primary, count in COUNTS.items()
        for paper in make_category(rng, primary, count, seen)
    ]
    rng.shuffle(papers)
    start = dt.date(2024, 1, 2)
    days = sorted(rng.randint(0, 362) for _ in papers)  # 2024-01-02 .. 2024-12-29
    width = max(4, len(str(len(papers))))
    for number, (paper, day) in enumerate(zip(papers, days, strict=True), start=1):
        paper["id"] = f"{ID_PREFIX}{number:0{width}d}"
        paper["update_date"] = (start + dt.timedelta(days=day)).isoformat()
        paper["authors"] = AUTHORS
        paper["comments"] = COMMENT
    return papers


def write_corpus(papers: Sequence[dict[str, str]], out: Path) -> None:
    text = "".join(json.dumps(paper, sort_keys=True, ensure_ascii=False) + "\n" for paper in papers)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(text.encode("utf-8"))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="default: %(default)s")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="default: %(default)s")
    args = parser.parse_args(argv)
    papers = make_corpus(args.seed)
    write_corpus(papers, args.out)
    print(f"wrote {len(papers)} papers to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
